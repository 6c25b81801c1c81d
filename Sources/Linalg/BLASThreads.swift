// OpenBLAS thread-count control: set explicitly, never left at OpenBLAS's one-thread-per-core default.
import CBLAS

/// Process-wide OpenBLAS settings.
public enum BLASThreads {
    /// Sets the number of threads OpenBLAS uses for every later call in this process.
    ///
    /// OpenBLAS's default is one thread per core; parallel jobs each calling a multi-threaded
    /// BLAS oversubscribe the machine, so every entry point sets this from configuration.
    public static func set(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }

    /// The thread count OpenBLAS currently uses.
    public static var current: Int { Int(openblas_get_num_threads()) }
}
