// Where the time of a computation went: named parts and their seconds, for the `timing` of analysis
// results and `isomine bench analyze`. Never part of a result's numbers (timings vary run to run).
import Dispatch
import Foundation

/// Named parts of a computation with the seconds each took, in the order they ended.
///
/// Threads of a parallel part may add to it at once: a lock guards the list (the one mutable state,
/// hence `@unchecked Sendable`).
public final class PartTimes: @unchecked Sendable {
    private let lock = NSLock()
    private var parts: [(name: String, seconds: Double)] = []

    public init() {}

    /// Adds `seconds` to the part `name` (a part measured twice, e.g. once per round, accumulates).
    public func add(_ name: String, seconds: Double) {
        lock.lock()
        defer { lock.unlock() }
        if let i = parts.firstIndex(where: { $0.name == name }) { parts[i].seconds += seconds } else { parts.append((name, seconds)) }
    }

    /// The parts so far, in the order they were first recorded.
    public var recorded: [(name: String, seconds: Double)] {
        lock.lock()
        defer { lock.unlock() }
        return parts
    }
}

/// Runs `body`, adding its time to `part` of `times` when there is one.
@inline(__always)
public func timed<T>(_ part: String, _ times: PartTimes?, _ body: () throws -> T) rethrows -> T {
    guard let times else { return try body() }
    let start = DispatchTime.now().uptimeNanoseconds
    defer { times.add(part, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9) }
    return try body()
}
