// Sums of squares over eight lanes in a fixed order (lane = coordinate mod 8, then the tail in order):
// the f* descents' large-set path (see FStarDescent) and the exact re-ranking of ExactNeighbours. No FMA (fp-contract is off for these files), so
// every build gives the same bits.
#include "isomine_kernels.h"

#if defined(__x86_64__) && defined(__linux__)
#define LANES_KERNEL __attribute__((target_clones("avx2", "default")))
#else
#define LANES_KERNEL
#endif

typedef double lanes8_u __attribute__((vector_size(64), aligned(8)));
#define LOAD8(p) (*(const lanes8_u *)(p))
#define TOTAL8(l) ((((l)[0] + (l)[4]) + ((l)[2] + (l)[6])) + (((l)[1] + (l)[5]) + ((l)[3] + (l)[7])))

LANES_KERNEL double isomine_lanes_squared_distance_f64(const double *restrict a, const double *restrict b, size_t dim) {
    const size_t body = dim - dim % 8;
    lanes8_u l = {0};
    for (size_t k = 0; k < body; k += 8) { lanes8_u d = LOAD8(a + k) - LOAD8(b + k); l += d * d; }
    double s = TOTAL8(l);
    for (size_t k = body; k < dim; k++) { double d = a[k] - b[k]; s += d * d; }
    return s;
}

LANES_KERNEL double isomine_lanes_sum_squares_f64(const double *restrict a, size_t dim) {
    const size_t body = dim - dim % 8;
    lanes8_u l = {0};
    for (size_t k = 0; k < body; k += 8) { lanes8_u v = LOAD8(a + k); l += v * v; }
    double s = TOTAL8(l);
    for (size_t k = body; k < dim; k++) s += a[k] * a[k];
    return s;
}

typedef float lanes8f_u __attribute__((vector_size(32), aligned(4)));

/* Float32 rows, differences and squares in Double (each difference of two floats widened first). */
LANES_KERNEL double isomine_lanes_squared_distance_f32(const float *restrict a, const float *restrict b, size_t dim) {
    const size_t body = dim - dim % 8;
    lanes8_u l = {0};
    for (size_t k = 0; k < body; k += 8) {
        lanes8_u d = __builtin_convertvector(*(const lanes8f_u *)(a + k), lanes8_u) - __builtin_convertvector(*(const lanes8f_u *)(b + k), lanes8_u);
        l += d * d;
    }
    double s = TOTAL8(l);
    for (size_t k = body; k < dim; k++) { double d = (double)a[k] - (double)b[k]; s += d * d; }
    return s;
}
