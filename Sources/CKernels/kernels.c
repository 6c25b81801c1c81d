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
