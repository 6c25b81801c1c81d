// Element-wise kernels (see isomine_kernels.h); one macro body per precision.
#include "isomine_kernels.h"
#include <math.h>

// Each kernel is built twice, for AVX2 and for the x86-64 baseline, and picked at load time (ifunc),
// so one binary runs everywhere and uses 256-bit vectors where the CPU has them. No FMA: results
// are then bit-identical across the two versions.
#if defined(__x86_64__) && defined(__linux__)
#define KERNEL __attribute__((target_clones("avx2", "default")))
#else
#define KERNEL
#endif

#define DEFINE_KERNELS(T, SUFFIX, SQRT)                                                              \
    KERNEL void isomine_sqrt_##SUFFIX(const T *restrict in, T *restrict out, size_t n) {             \
        for (size_t i = 0; i < n; i++) out[i] = SQRT(in[i]);                                         \
    }                                                                                                \
    KERNEL void isomine_relu_##SUFFIX(const T *restrict in, T *out, size_t n) {                             \
        for (size_t i = 0; i < n; i++) { T v = in[i]; out[i] = v > 0 ? v : 0; }                       \
    }                                                                                                \
    KERNEL void isomine_relu_backward_##SUFFIX(T *restrict g, const T *restrict a, size_t n) {               \
        for (size_t i = 0; i < n; i++) { T v = g[i]; g[i] = a[i] > 0 ? v : 0; }                       \
    }                                                                                                \
    KERNEL void isomine_column_sums_##SUFFIX(const T *restrict x, size_t rows, size_t cols, T *restrict s) { \
        for (size_t j = 0; j < cols; j++) s[j] = 0;                                                  \
        for (size_t r = 0; r < rows; r++) {                                                          \
            const T *row = x + r * cols;                                                             \
            for (size_t j = 0; j < cols; j++) s[j] += row[j];                                        \
        }                                                                                            \
    }                                                                                                \
    KERNEL void isomine_adam_##SUFFIX(T *restrict p, const T *restrict g, T *restrict m, T *restrict v,      \
                               size_t n, T b1, T b2, T step, T ib2, T eps, T wd) {                   \
        const T c1 = 1 - b1, c2 = 1 - b2;                                                            \
        for (size_t i = 0; i < n; i++) {                                                             \
            T gi = g[i] + wd * p[i];                                                                 \
            T mi = b1 * m[i] + c1 * gi;                                                              \
            T vi = b2 * v[i] + c2 * gi * gi;                                                         \
            m[i] = mi;                                                                               \
            v[i] = vi;                                                                               \
            p[i] -= step * mi / (SQRT(vi) * ib2 + eps);                                              \
        }                                                                                            \
    }                                                                                                \
    KERNEL void isomine_sgd_##SUFFIX(T *restrict p, const T *restrict g, T *restrict b, size_t n, T lr,     \
                              T mu, T wd) {                                                          \
        for (size_t i = 0; i < n; i++) {                                                             \
            T bi = mu * b[i] + g[i] + wd * p[i];                                                     \
            b[i] = bi;                                                                               \
            p[i] -= lr * bi;                                                                         \
        }                                                                                            \
    }

DEFINE_KERNELS(float, f32, __builtin_sqrtf)
DEFINE_KERNELS(double, f64, __builtin_sqrt)

// Exact pairwise squared distances by direct differences (see exactPairwiseSquaredDistances in Linalg).
// Each pair's sum runs over 8 lanes (lane = coordinate mod 8) added in a fixed order, then the tail in
// order: the same arithmetic in every build (no FMA: fp-contract is off for this file), so the AVX-512,
// AVX2 and baseline versions give bit-identical distances. Rows are taken 4 at a time so each row j
// read from memory serves four pairs.
#if defined(__x86_64__) && defined(__linux__)
#define DISTANCE_KERNEL __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define DISTANCE_KERNEL
#endif

// Eight lanes as one vector (one zmm with AVX-512, two ymm with AVX2, four xmm otherwise).
typedef double lanes8 __attribute__((vector_size(64)));

// Macros, not functions: a 64-byte vector may not cross a call without AVX-512's calling convention.
#define load8(p) (*(const lanes8_unaligned *)(p))
#define lanes_total(l) ((((l)[0] + (l)[4]) + ((l)[2] + (l)[6])) + (((l)[1] + (l)[5]) + ((l)[3] + (l)[7])))
typedef double lanes8_unaligned __attribute__((vector_size(64), aligned(8)));

// The sum of one pair (rows a and b), in the fixed order.
#define PAIR_TOTAL(result, a, b)                                                                     \
    do {                                                                                             \
        lanes8 l_ = {0};                                                                             \
        for (size_t k = 0; k < body; k += 8) { lanes8 d_ = load8((a) + k) - load8((b) + k); l_ += d_ * d_; } \
        double s_ = lanes_total(l_);                                                                 \
        for (size_t k = body; k < dim; k++) { double d_ = (a)[k] - (b)[k]; s_ += d_ * d_; }           \
        result = s_;                                                                                 \
    } while (0)

DISTANCE_KERNEL void isomine_exact_squared_distances_f64(const double *restrict x, size_t n, size_t dim,
                                                          size_t first, size_t end, double *restrict out) {
    const size_t body = dim - dim % 8;
    // Tiles of rows that stay in cache while paired: ~128 KiB of i rows against ~256 KiB of j rows.
    size_t itile = (128 * 1024) / (8 * (dim ? dim : 1)), jtile = 2 * itile;
    itile = itile < 4 ? 4 : itile - itile % 4;
    if (jtile < 8) jtile = 8;
    for (size_t i0 = first; i0 < end; i0 += itile) {
        const size_t i1 = i0 + itile < end ? i0 + itile : end;
        // Pairs inside the i tile (and its rows' own zeros).
        for (size_t i = i0; i < i1; i++) {
            out[i * n + i] = 0;
            for (size_t j = i + 1; j < i1; j++) {
                double s;
                PAIR_TOTAL(s, x + i * dim, x + j * dim);
                out[i * n + j] = s;
                out[j * n + i] = s;
            }
        }
        // The i tile against every later row, j tile by j tile, four i rows at a time.
        for (size_t j0 = i1; j0 < n; j0 += jtile) {
            const size_t j1 = j0 + jtile < n ? j0 + jtile : n;
            size_t i = i0;
            for (; i + 4 <= i1; i += 4) {
                const double *a0 = x + i * dim, *a1 = a0 + dim, *a2 = a1 + dim, *a3 = a2 + dim;
                for (size_t j = j0; j < j1; j++) {
                    const double *b = x + j * dim;
                    lanes8 l0 = {0}, l1 = {0}, l2 = {0}, l3 = {0};
                    for (size_t k = 0; k < body; k += 8) {
                        lanes8 bk = load8(b + k);
                        lanes8 d0 = load8(a0 + k) - bk, d1 = load8(a1 + k) - bk, d2 = load8(a2 + k) - bk, d3 = load8(a3 + k) - bk;
                        l0 += d0 * d0; l1 += d1 * d1; l2 += d2 * d2; l3 += d3 * d3;
                    }
                    double s0 = lanes_total(l0), s1 = lanes_total(l1), s2 = lanes_total(l2), s3 = lanes_total(l3);
                    for (size_t k = body; k < dim; k++) {
                        double bk = b[k];
                        double d0 = a0[k] - bk, d1 = a1[k] - bk, d2 = a2[k] - bk, d3 = a3[k] - bk;
                        s0 += d0 * d0; s1 += d1 * d1; s2 += d2 * d2; s3 += d3 * d3;
                    }
                    out[i * n + j] = s0; out[j * n + i] = s0;
                    out[(i + 1) * n + j] = s1; out[j * n + i + 1] = s1;
                    out[(i + 2) * n + j] = s2; out[j * n + i + 2] = s2;
                    out[(i + 3) * n + j] = s3; out[j * n + i + 3] = s3;
                }
            }
            for (; i < i1; i++) {
                for (size_t j = j0; j < j1; j++) {
                    double s;
                PAIR_TOTAL(s, x + i * dim, x + j * dim);
                    out[i * n + j] = s;
                    out[j * n + i] = s;
                }
            }
        }
    }
}
