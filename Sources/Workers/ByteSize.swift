// Memory sizes as operators write them (--job-memory).
import Foundation

/// Sizes written like 2GiB, 512MiB, 1.5G, 300M or a number of bytes.
public enum ByteSize {
    /// Below this a job process cannot start (Swift runtime, OpenBLAS buffers, libpq, glibc arenas).
    public static let runtimeMinimum: UInt64 = 512 * 1_048_576

    /// The size in bytes, or nil when `text` is not a size.
    public static func parse(_ text: String) -> UInt64? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let units: [(String, Double)] = [("GiB", 1_073_741_824), ("MiB", 1_048_576), ("KiB", 1024), ("G", 1_073_741_824), ("M", 1_048_576), ("K", 1024), ("B", 1)]
        for (suffix, factor) in units where t.hasSuffix(suffix) {
            guard let v = Double(t.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), v >= 0, v * factor < 1.8e19 else { return nil }
            return UInt64(v * factor)
        }
        return UInt64(t)
    }
}
