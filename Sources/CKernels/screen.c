// The cheap rejection of the exact-neighbour screen (see ExactNeighbours in Linalg), vectorisable.
#include "isomine_kernels.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__linux__)
#define SCREEN_KERNEL __attribute__((target_clones("avx2", "default")))
#else
#define SCREEN_KERNEL
#endif

// The marked columns' indices, eight flags at a time: almost every column is rejected, so most
// eight-byte words are zero and skipped whole.
static inline size_t compact_survivors(const unsigned char *restrict flags, size_t count, int *restrict keep) {
    size_t kept = 0, j = 0;
    for (; j + 8 <= count; j += 8) {
        uint64_t word;
        memcpy(&word, flags + j, 8);
        if (word == 0) continue;
        for (size_t b = 0; b < 8; b++) {
            if (flags[j + b]) keep[kept++] = (int)(j + b);
        }
    }
    for (; j < count; j++) {
        if (flags[j]) keep[kept++] = (int)j;
    }
    return kept;
}

// Pass 1 marks each column in `flags` (a plain element-wise loop the compiler vectorises); pass 2
// compacts the survivors' indices (most columns are rejected, so its branch is well predicted).
SCREEN_KERNEL size_t isomine_screen_survivors(const float *restrict gram, const double *restrict sq, const double *restrict norm,
                                              const double *restrict thresholds, size_t count, double si, double ni, double ti,
                                              double two_gamma, double sum_term, double rho, double inverse_keep,
                                              unsigned char *restrict flags, int *restrict keep) {
    for (size_t j = 0; j < count; j++) {
        const double g = (double)gram[j], sj = sq[j], nj = norm[j];
        double d2 = si + sj - 2 * g;
        d2 = d2 < 0 ? 0 : d2;
        const double eps = two_gamma * ni * nj + sum_term * (si + sj + 2 * fabs(g));
        const double delta = rho * (ni + nj);
        const double low = d2 - eps;
        const double tj = thresholds[j];
        const double tmax = ti > tj ? ti : tj;
        const double t = (tmax * inverse_keep + delta) * (1 + 1e-12);
        flags[j] = !(low > 0 && t < INFINITY && low > t * t);
    }
    return compact_survivors(flags, count, keep);
}

// The same rejection in Float32, eight columns per AVX2 vector instead of four, from Float32 copies of
// the squared norms, norms and thresholds. It rejects a pair only when the exact-real test
// low > t² holds (low = d̃ − ε and t as above): every input is the Double value rounded to Float32
// (relative error ≤ u = 2⁻²⁴) and each of the dozen operations adds at most u of its result, so the
// computed d̃ and ε are within 8u·(sᵢ + sⱼ + 2|g| + ε) of their real values, which the slack term
// (16u of the same) covers, and t, computed within 8u, is taken 16u larger (its square then exceeds
// the real t²). Valid while no value underflows or overflows Float32: the caller uses it only when
// every nonzero squared norm lies in [1e-30, 1e30] (a point at the centre has sq = norm = g = 0
// exactly).
SCREEN_KERNEL size_t isomine_screen_survivors_f32(const float *restrict gram, const float *restrict sq, const float *restrict norm,
                                                  const float *restrict thresholds, size_t count, float si, float ni, float ti,
                                                  float two_gamma, float sum_term, float rho, float inverse_keep,
                                                  unsigned char *restrict flags, int *restrict keep) {
    const float slack = 16 * 0x1p-24f, grow = 1 + 16 * 0x1p-24f;
    for (size_t j = 0; j < count; j++) {
        const float g = gram[j], sj = sq[j], nj = norm[j];
        const float sum = si + sj, ag = 2 * fabsf(g);
        const float eps = two_gamma * ni * nj + sum_term * (sum + ag);
        const float low = (sum - 2 * g) - eps - slack * (sum + ag + eps);
        const float tj = thresholds[j];
        const float tmax = ti > tj ? ti : tj;
        const float t = (tmax * inverse_keep + rho * (ni + nj)) * grow;
        flags[j] = !(low > t * t);
    }
    return compact_survivors(flags, count, keep);
}
