// The cheap rejection of the exact-neighbour screen (see ExactNeighbours in Linalg), vectorisable.
#include "isomine_kernels.h"
#include <math.h>

#if defined(__x86_64__) && defined(__linux__)
#define SCREEN_KERNEL __attribute__((target_clones("avx2", "default")))
#else
#define SCREEN_KERNEL
#endif

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
    size_t kept = 0;
    for (size_t j = 0; j < count; j++) {
        if (flags[j]) keep[kept++] = (int)j;
    }
    return kept;
}
