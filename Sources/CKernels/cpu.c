// Which OpenBLAS kernel family this CPU can run (see Linalg's BLASKernels).
#include "isomine_kernels.h"

const char *isomine_openblas_coretype_for_cpu(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    // OpenBLAS's SkylakeX kernels use AVX-512 F, BW, DQ and VL; its Haswell kernels AVX2 and FMA.
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq")
        && __builtin_cpu_supports("avx512vl")) return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
#endif
    return 0;
}
