// Waiting for what other threads and processes do, every wait bounded.
import Foundation

/// Results collected from threads.
public final class LockedResults: @unchecked Sendable {
    // Guarded by `lock`: threads append, the test reads.
    private let lock = NSLock()
    private var storage: [Result<Int, Error>] = []
    public init() {}
    public func append(_ r: Result<Int, Error>) { lock.lock(); storage.append(r); lock.unlock() }
    public var count: Int { lock.lock(); defer { lock.unlock() }; return storage.count }
    public var values: [Result<Int, Error>] { lock.lock(); defer { lock.unlock() }; return storage }
}

/// Waits until `condition` holds or `seconds` pass; returns whether it held.
public func waitUntil(_ seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: 0.05)
    }
    return try condition()
}
