// Shim header for OpenBLAS: CBLAS plus the few LAPACK routines isomine calls.
// Its own name and guard, because OpenBLAS's cblas.h already guards on CBLAS_H.
#ifndef ISOMINE_CBLAS_SHIM_H
#define ISOMINE_CBLAS_SHIM_H

#include <cblas.h>

// LAPACK symmetric eigensolver (Fortran calling convention), exported by libopenblas.
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
             double *w, double *work, const int *lwork, int *iwork, const int *liwork, int *info);

#endif
