// Which OpenBLAS kernels run: the library picks them by CPU model when it loads, and a model it does not
// know gets its generic kernels.
import CBLAS
import CKernels
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// OpenBLAS's kernel family in this process, and the way to a better one.
///
/// OpenBLAS (Debian 12 ships 0.3.21) chooses its kernels from the CPU's family and model when it loads.
/// A model newer than the library — this machine's Xeon, model 207 — gets the generic Prescott (SSE3)
/// kernels, though the CPU has AVX-512: every matrix product then runs several times slower than it
/// can. OpenBLAS reads `OPENBLAS_CORETYPE` only when it loads, so the fix is to start again with it set.
public enum BLASKernels {
    /// OpenBLAS's name for the kernels in use (e.g. `Prescott`, `Haswell`, `SkylakeX`).
    public static var coreName: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }

    /// Kernel families older than any CPU with AVX2: what OpenBLAS falls back to for a model it does not know.
    static let generic: Set<String> = ["prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "unknown"]

    /// The `OPENBLAS_CORETYPE` this process should have run with: the CPU's own family when OpenBLAS fell
    /// back to generic kernels it does not need; nil when the kernels in use fit (or nothing better runs).
    public static var betterCoreType: String? {
        guard generic.contains(coreName.lowercased()), let better = isomine_openblas_coretype_for_cpu() else { return nil }
        return String(cString: better)
    }

    /// When OpenBLAS fell back to generic kernels and `OPENBLAS_CORETYPE` was not set (or empty), executes this
    /// program again with it set to the CPU's family (the same arguments, environment and process id;
    /// nothing has run yet). Returns when there is nothing to do or the exec failed (then it runs on as is).
    /// Job processes inherit the variable from the worker, so only the first `isomine` pays the exec.
    public static func restartWithBetterKernels() {
        let environment = ProcessInfo.processInfo.environment
        guard (environment["OPENBLAS_CORETYPE"] ?? "").isEmpty, let better = betterCoreType else { return }
        setenv("OPENBLAS_CORETYPE", better, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        unsetenv("OPENBLAS_CORETYPE")
    }
}
