// Limits on what a job may read, checked before any large allocation, each with the way to raise it.
import Foundation

/// The input limits. Each can be changed with an environment variable of the worker (or of `isomine run`).
public struct InputLimits: Sendable, Equatable {
    /// Largest input file read (bytes): `ISOMINE_MAX_INPUT_BYTES`, default 8 GiB.
    public var maxInputBytes: Int
    /// Largest decompressed size of a .csv.gz (bytes): `ISOMINE_MAX_DECOMPRESSED_BYTES`, default 1 GiB.
    public var maxDecompressedBytes: Int
    /// Most feature columns (embedding dimension): `ISOMINE_MAX_DIMENSION`, default 8192. The estimators
    /// hold D × D matrices (covariance, principal axes): 8192² doubles are 512 MiB.
    public var maxDimension: Int
    /// Most rows (points) of a dataset: `ISOMINE_MAX_ROWS`, default 5,000,000.
    public var maxRows: Int

    public static let standard = InputLimits(maxInputBytes: 8 << 30, maxDecompressedBytes: 1 << 30, maxDimension: 8192, maxRows: 5_000_000)

    /// The limits with any environment overrides (a malformed override is an error naming it).
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> InputLimits {
        var limits = InputLimits.standard
        func read(_ key: String, _ value: inout Int) throws {
            guard let text = env[key], !text.isEmpty else { return }
            guard let v = Int(text), v > 0 else { throw DatasetError("\(key): '\(text)' is not a positive integer") }
            value = v
        }
        try read("ISOMINE_MAX_INPUT_BYTES", &limits.maxInputBytes)
        try read("ISOMINE_MAX_DECOMPRESSED_BYTES", &limits.maxDecompressedBytes)
        try read("ISOMINE_MAX_DIMENSION", &limits.maxDimension)
        try read("ISOMINE_MAX_ROWS", &limits.maxRows)
        return limits
    }

    /// The limits in effect (environment read once per process).
    public static var current: InputLimits { (try? fromEnvironment()) ?? .standard }

    func checkDimension(_ d: Int, field: String, what: String) throws {
        if d > maxDimension {
            throw DatasetError(field: field, "\(what) has \(d) feature columns, above the limit of \(maxDimension) (set ISOMINE_MAX_DIMENSION to raise it)")
        }
    }

    func checkRows(_ n: Int, field: String, what: String) throws {
        if n > maxRows {
            throw DatasetError(field: field, "\(what) has \(n) rows, above the limit of \(maxRows) (set ISOMINE_MAX_ROWS to raise it)")
        }
    }

    func checkFileSize(_ bytes: Int, field: String, path: String) throws {
        if bytes > maxInputBytes {
            throw DatasetError(field: field, "'\(path)' is \(bytes) bytes, above the input limit of \(maxInputBytes) (set ISOMINE_MAX_INPUT_BYTES to raise it)")
        }
    }

    /// This process's address-space limit in bytes (a job process runs under the worker's
    /// `--job-memory`), or nil when there is none.
    public static func addressSpaceLimit() -> Int? {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max else { return nil }
        return Int(clamping: limit.rlim_cur)
    }

    /// Refuses an allocation of `bytes` that cannot fit in the address-space limit (this process's,
    /// the worker's `--job-memory`), with room for the runtime and the analysis beside it: named before
    /// the data is read, not as an allocation failure after.
    func checkMemory(_ bytes: Int, field: String, what: String, addressSpace: Int? = InputLimits.addressSpaceLimit()) throws {
        guard let available = addressSpace else { return }
        // The runtime, BLAS and the analysis' own buffers take a few hundred MiB besides the data.
        if bytes > available - (384 << 20) {
            throw DatasetError(field: field, "\(what) needs \(bytes >> 20) MiB in memory, more than this job's memory limit of \(available >> 20) MiB allows (raise the worker's --job-memory)")
        }
    }
}

/// The product of sizes, or nil when it overflows `Int`.
func checkedProduct(_ factors: [Int]) -> Int? {
    var p = 1
    for f in factors {
        let (r, overflow) = p.multipliedReportingOverflow(by: f)
        if overflow { return nil }
        p = r
    }
    return p
}
