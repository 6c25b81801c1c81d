// The per-anchor scans of the f* descent's separation penalty (see FStarDescent.penaltyWeights in
// Isometry): the nearest point of another class in a row of distances, and the columns near it.
// AVX2 versions with intrinsics (the compiler left the masked minimum scalar), chosen at run time;
// a minimum is exact and ties go to the first column, so every version returns the same result.
#include "isomine_kernels.h"
#include <math.h>
#include <stdint.h>

static double nearest_generic(const double *restrict row, const long *restrict labels, long label, size_t count, long *restrict index) {
    double best = INFINITY;
    for (size_t j = 0; j < count; j++) {
        if (labels[j] != label && row[j] < best) { best = row[j]; *index = (long)j; }
    }
    return best;
}

static size_t within_generic(const double *restrict row, const long *restrict labels, long label, size_t count, double bound,
                             long *restrict out) {
    size_t kept = 0;
    for (size_t j = 0; j < count; j++) {
        if (labels[j] != label && row[j] <= bound) out[kept++] = (long)j;
    }
    return kept;
}

#if defined(__x86_64__) && defined(__linux__)
#include <immintrin.h>
#define HAVE_AVX2_PATH 1

// Four columns per vector: the label mask, the masked row (others' values, +inf for the anchor's
// class) and a running minimum with the column where each lane first reached it (strict <).
__attribute__((target("avx2"))) static double nearest_avx2(const double *restrict row, const long *restrict labels, long label, size_t count,
                                                          long *restrict index) {
    const __m256i own = _mm256_set1_epi64x(label);
    const __m256d inf = _mm256_set1_pd(INFINITY);
    __m256d best = inf;
    __m256i at = _mm256_set1_epi64x(-1), column = _mm256_setr_epi64x(0, 1, 2, 3);
    const __m256i four = _mm256_set1_epi64x(4);
    size_t j = 0;
    for (; j + 4 <= count; j += 4) {
        const __m256d same = _mm256_castsi256_pd(_mm256_cmpeq_epi64(_mm256_loadu_si256((const __m256i *)(labels + j)), own));
        const __m256d v = _mm256_blendv_pd(_mm256_loadu_pd(row + j), inf, same);
        const __m256d lower = _mm256_cmp_pd(v, best, _CMP_LT_OQ);
        best = _mm256_blendv_pd(best, v, lower);
        at = _mm256_castpd_si256(_mm256_blendv_pd(_mm256_castsi256_pd(at), _mm256_castsi256_pd(column), lower));
        column = _mm256_add_epi64(column, four);
    }
    double values[4];
    long columns[4];
    _mm256_storeu_pd(values, best);
    _mm256_storeu_si256((__m256i *)columns, at);
    // The lanes' minima, then the first column among the lanes that hold the overall one.
    double result = INFINITY;
    long first = -1;
    for (int l = 0; l < 4; l++) {
        if (values[l] < result || (values[l] == result && columns[l] >= 0 && columns[l] < first)) { result = values[l]; first = columns[l]; }
    }
    for (; j < count; j++) {
        if (labels[j] != label && row[j] < result) { result = row[j]; first = (long)j; }
    }
    if (first >= 0) *index = first;
    return result;
}

__attribute__((target("avx2"))) static size_t within_avx2(const double *restrict row, const long *restrict labels, long label, size_t count,
                                                         double bound, long *restrict out) {
    const __m256i own = _mm256_set1_epi64x(label);
    const __m256d limit = _mm256_set1_pd(bound);
    size_t kept = 0, j = 0;
    for (; j + 4 <= count; j += 4) {
        const __m256d same = _mm256_castsi256_pd(_mm256_cmpeq_epi64(_mm256_loadu_si256((const __m256i *)(labels + j)), own));
        const __m256d near = _mm256_cmp_pd(_mm256_loadu_pd(row + j), limit, _CMP_LE_OQ);
        int mask = _mm256_movemask_pd(_mm256_andnot_pd(same, near));
        // Most columns are far: most masks are zero.
        while (mask) {
            const int lane = __builtin_ctz(mask);
            out[kept++] = (long)(j + (size_t)lane);
            mask &= mask - 1;
        }
    }
    for (; j < count; j++) {
        if (labels[j] != label && row[j] <= bound) out[kept++] = (long)j;
    }
    return kept;
}
#endif

double isomine_nearest_other_class(const double *row, const long *labels, long label, size_t count, long *index) {
#ifdef HAVE_AVX2_PATH
    if (__builtin_cpu_supports("avx2")) return nearest_avx2(row, labels, label, count, index);
#endif
    return nearest_generic(row, labels, label, count, index);
}

size_t isomine_other_class_within(const double *row, const long *labels, long label, size_t count, double bound, long *out) {
#ifdef HAVE_AVX2_PATH
    if (__builtin_cpu_supports("avx2")) return within_avx2(row, labels, label, count, bound, out);
#endif
    return within_generic(row, labels, label, count, bound, out);
}
