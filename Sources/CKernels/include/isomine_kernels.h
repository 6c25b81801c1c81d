// Element-wise kernels of the training step, in C so the compiler vectorises them predictably
// (Swift lowered the same loops to branchy scalar code, and generic SIMD lane by lane).
#ifndef ISOMINE_KERNELS_H
#define ISOMINE_KERNELS_H

#include <stddef.h>

/// out[i] = sqrt(in[i]) (in and out distinct).
void isomine_sqrt_f32(const float *in, float *out, size_t n);
void isomine_sqrt_f64(const double *in, double *out, size_t n);

/// out[i] = max(in[i], 0); in and out may be the same buffer.
void isomine_relu_f32(const float *in, float *out, size_t n);
void isomine_relu_f64(const double *in, double *out, size_t n);

/// g[i] = activation[i] > 0 ? g[i] : 0 (the ReLU derivative from post-activation values).
void isomine_relu_backward_f32(float *g, const float *activation, size_t n);
void isomine_relu_backward_f64(double *g, const double *activation, size_t n);

/// sums[j] = sum over rows of x[r * cols + j].
void isomine_column_sums_f32(const float *x, size_t rows, size_t cols, float *sums);
void isomine_column_sums_f64(const double *x, size_t rows, size_t cols, double *sums);

/// One Adam update as torch.optim.Adam (coupled weight decay), in place.
void isomine_adam_f32(float *p, const float *g, float *m, float *v, size_t n, float beta1, float beta2,
                      float step_size, float inv_sqrt_bias2, float eps, float weight_decay);
void isomine_adam_f64(double *p, const double *g, double *m, double *v, size_t n, double beta1, double beta2,
                      double step_size, double inv_sqrt_bias2, double eps, double weight_decay);

/// One SGD-with-momentum update as torch.optim.SGD (dampening 0), in place.
void isomine_sgd_f32(float *p, const float *g, float *buf, size_t n, float lr, float momentum, float weight_decay);
void isomine_sgd_f64(double *p, const double *g, double *buf, size_t n, double lr, double momentum, double weight_decay);

/// Squared distances Σ_k (x_i,k − x_j,k)² of rows i ∈ [first, end) to every later row j < n of x
/// (n × dim, row-major), written to out[i·n + j] and out[j·n + i]; out[i·n + i] = 0. Bit-identical
/// in every build (fixed order of additions, no FMA). Disjoint row ranges can run on separate threads.
void isomine_exact_squared_distances_f64(const double *x, size_t n, size_t dim, size_t first, size_t end, double *out);

/// Σ_k (a_k − b_k)² and Σ_k a_k², summed over eight lanes in a fixed order (bit-identical in every
/// build; other last bits than a sequential sum).
double isomine_lanes_squared_distance_f64(const double *a, const double *b, size_t dim);
double isomine_lanes_sum_squares_f64(const double *a, size_t dim);
/// Σ_k (a_k − b_k)² of Float32 rows, each coordinate widened to Double before the difference, same lanes.
double isomine_lanes_squared_distance_f32(const float *a, const float *b, size_t dim);

/// out[j] = √max(0, minus_two_gram[j] + norm_i + norms[j]) in Double (the sum in that order): one row of
/// distances from Float32 products −2⟨x_i, x_j⟩ and Double squared norms.
void isomine_distances_from_gram_f32(const float *minus_two_gram, const double *norms, double norm_i, double *out, size_t count);
/// The same, squared (clamped at 0, no square root).
void isomine_squared_distances_from_gram_f32(const float *minus_two_gram, const double *norms, double norm_i, double *out, size_t count);

/// The exact-neighbour screen's cheap rejection for one row (squared norm si, norm ni, pool threshold ti)
/// against `count` columns (their Float32 products with the row, squared norms, norms and pool
/// thresholds): writes the indices of the columns it cannot reject to `keep` (using `flags`, `count`
/// bytes of scratch) and returns how many. A column is rejected when the pair's lower bound on the
/// squared distance exceeds t² with t = (max(ti, tj)·inverse_keep + δ)·(1 + 1e-12) (ExactNeighbours).
size_t isomine_screen_survivors(const float *gram, const double *sq, const double *norm, const double *thresholds, size_t count,
                                double si, double ni, double ti, double two_gamma, double sum_term, double rho, double inverse_keep,
                                unsigned char *flags, int *keep);
/// The same test in Float32 from Float32 copies of sq, norm and thresholds, with slack for its own
/// rounding (see screen.c): rejects only pairs the exact-real test rejects.
size_t isomine_screen_survivors_f32(const float *gram, const float *sq, const float *norm, const float *thresholds, size_t count,
                                    float si, float ni, float ti, float two_gamma, float sum_term, float rho, float inverse_keep,
                                    unsigned char *flags, int *keep);

/// The f* descent's penalty scan of one anchor's row of distances (`count` columns, `labels` per column):
/// the smallest row[j] over the columns whose label differs from `label` (INFINITY when there is none),
/// and the first column attaining it in *index (left unchanged when there is none).
double isomine_nearest_other_class(const double *row, const long *labels, long label, size_t count, long *index);

/// The columns whose label differs from `label` and whose row[j] ≤ bound, in column order, into `out`
/// (room for `count`); returns how many.
size_t isomine_other_class_within(const double *row, const long *labels, long label, size_t count, double bound, long *out);

/// The OPENBLAS_CORETYPE whose kernels this CPU runs ("SkylakeX" with AVX-512 F/BW/DQ/VL, "Haswell" with
/// AVX2 and FMA), or NULL (another architecture, or neither).
const char *isomine_openblas_coretype_for_cpu(void);

#endif
