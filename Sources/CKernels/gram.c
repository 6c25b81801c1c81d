// Distances from a row of Float32 products (see mixedPairwiseDistances in Linalg), vectorisable.
#include "isomine_kernels.h"

#if defined(__x86_64__) && defined(__linux__)
#define GRAM_KERNEL __attribute__((target_clones("avx2", "default")))
#else
#define GRAM_KERNEL
#endif

GRAM_KERNEL void isomine_distances_from_gram_f32(const float *restrict minus_two_gram, const double *restrict norms, double norm_i,
                                                 double *restrict out, size_t count) {
    for (size_t j = 0; j < count; j++) {
        const double v = (double)minus_two_gram[j] + norm_i + norms[j];
        out[j] = __builtin_sqrt(v > 0 ? v : 0);
    }
}

GRAM_KERNEL void isomine_squared_distances_from_gram_f32(const float *restrict minus_two_gram, const double *restrict norms,
                                                         double norm_i, double *restrict out, size_t count) {
    for (size_t j = 0; j < count; j++) {
        const double v = (double)minus_two_gram[j] + norm_i + norms[j];
        out[j] = v > 0 ? v : 0;
    }
}
