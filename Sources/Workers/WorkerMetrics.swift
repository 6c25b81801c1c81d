// The worker's metrics, recorded through swift-metrics (exported by `--metrics-address` through
// swift-prometheus; without a bootstrapped backend they cost nothing).
import Postgres
import Queue
import Webhooks
import CoreMetrics
import Foundation

/// Names and labels of every metric the worker records (Prometheus conventions: `_total` counters,
/// `_seconds` durations).
public enum WorkerMetrics {
    /// A job claimed and started (attempt > 1 also counts a retry).
    static func started(kind: String, attempt: Int) {
        Counter(label: "isomine_jobs_started_total", dimensions: [("kind", kind)]).increment()
        if attempt > 1 { Counter(label: "isomine_job_retries_total", dimensions: [("kind", kind)]).increment() }
    }

    /// How one execution ended: succeeded, failed, retrying, dead, cancelled, released, lease_lost.
    static func finished(kind: String, outcome: JobOutcome, seconds: Double) {
        Counter(label: "isomine_jobs_finished_total", dimensions: [("kind", kind), ("outcome", outcome.rawValue)]).increment()
        Timer(label: "isomine_job_duration_seconds", dimensions: [("kind", kind)], preferredDisplayUnit: .seconds)
            .recordNanoseconds(Int64(max(0, seconds) * 1e9))
    }

    static func rescued(_ n: Int) { if n > 0 { Counter(label: "isomine_rescues_total").increment(by: n) } }
    static func childCrashed(kind: String) { Counter(label: "isomine_child_crashes_total", dimensions: [("kind", kind)]).increment() }
    static func memoryKilled(kind: String) { Counter(label: "isomine_memory_limit_kills_total", dimensions: [("kind", kind)]).increment() }
    static func reconnected(_ connection: String) { Counter(label: "isomine_reconnects_total", dimensions: [("connection", connection)]).increment() }

    /// Job slots in use (a gauge the supervisor moves up and down).
    static func busy(_ delta: Int) {
        busySlots.withLock { count in
            count += delta
            Gauge(label: "isomine_busy_slots").record(count)
        }
    }
    private static let busySlots = Mutex(0)

    public static func slots(_ n: Int) { Gauge(label: "isomine_slots").record(n) }

    /// One monitored series evaluated: its new signal rows, whether its step-0 risk was computed (or
    /// could not be), the warning it recorded (source risk or signals), and how long it took.
    static func monitorEvaluated(rows: Int, risk: String?, warning: String?, seconds: Double) {
        if rows > 0 { Counter(label: "isomine_monitor_rows_evaluated_total").increment(by: rows) }
        if let risk { Counter(label: "isomine_monitor_risks_total", dimensions: [("outcome", risk)]).increment() }
        if let warning { Counter(label: "isomine_monitor_warnings_total", dimensions: [("source", warning)]).increment() }
        Timer(label: "isomine_monitor_evaluation_seconds", preferredDisplayUnit: .seconds).recordNanoseconds(Int64(max(0, seconds) * 1e9))
    }

}

/// A value behind a lock (the Synchronization module's Mutex needs macOS 15; this is enough here).
final class Mutex<Value>: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

/// How one execution of a job ended, as the `outcome` label of isomine_jobs_finished_total.
enum JobOutcome: String, Sendable, CaseIterable {
    /// The job's end state.
    case succeeded, failed, cancelled, dead
    /// Back in the queue without using an attempt (shutdown), or for another attempt (a failure).
    case released, retrying
    /// Still running under this worker, or under another one after its lease was rescued.
    case running
    case leaseLost = "lease_lost"
    /// A sweep that queued its runs or is waiting for them (running, with no lease).
    case waiting
    /// The row could not be read.
    case unknown
}
