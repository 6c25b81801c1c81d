// A worker's life on one thread: connect (retrying with backoff while the database is down), run jobs,
// wait on NOTIFY with a polling backstop, reconnect when the connection breaks, stop on shutdown.
import Vocabulary
import Postgres
import Queue
import Webhooks
import Foundation
import Jobs
import Logging

/// Settings of `WorkerLoop`.
public struct WorkerLoopOptions: Sendable {
    public var owner: String
    public var leaseSeconds = 30
    public var pollSeconds = 2.0
    /// Return after one job.
    public var once = false
    /// Return when no job is ready.
    public var exitWhenIdle = false
    /// Longest wait between reconnection attempts (backoff doubles from 0.1 s up to this).
    public var maxReconnectDelay = 10.0
    /// Where finished jobs' reports go (nil: none).
    public var reports: ReportPublisher?
    /// Also re-render a running train job's report at each evaluation.
    public var reportEachEvaluation = false
    /// Address-space limit of each job's child process in bytes (0: none).
    public var jobMemoryBytes: UInt64 = 0
    /// After a shutdown request, how long a job gets to checkpoint before its process is killed.
    public var graceSeconds = 20.0
    /// The queues claimed from.
    public var queues = ["default"]
    /// The binary that runs jobs in child processes (nil: in-process).
    public var childExecutable: String? = Worker.defaultChildExecutable

    public init(owner: String) { self.owner = owner }
}

/// Runs jobs until told to stop; survives the database going away and coming back.
public enum WorkerLoop {
    /// Runs on the calling thread. `connect` opens a connection (called again after a failure).
    public static func run(options: WorkerLoopOptions, runner: Runner, logger: Logger,
                           shuttingDown: @escaping () -> Bool, connect: () throws -> PGConnection) {
        var delay = 0.1
        while !shuttingDown() {
            let db: PGConnection
            do {
                db = try connect()
                try db.listen(Channel.jobs)
                delay = 0.1
            } catch {
                logger.warning("database unavailable; retrying", metadata: ["error": "\(error)", "in_seconds": "\(delay)"])
                PGSession.wait(delay, unless: shuttingDown)
                delay = min(delay * 2, options.maxReconnectDelay)
                continue
            }
            let worker = Worker(db: db, owner: options.owner, runner: runner, leaseSeconds: options.leaseSeconds,
                                logger: logger, reports: options.reports, shuttingDown: shuttingDown)
            worker.reportEachEvaluation = options.reportEachEvaluation
            worker.jobMemoryBytes = options.jobMemoryBytes
            worker.graceSeconds = options.graceSeconds
            worker.childExecutable = options.childExecutable
            worker.queues = options.queues
            do {
                // A stale index page (jobs ended within its rewrite interval) is caught up when idle or leaving.
                defer { try? options.reports?.flushIndex(db) }
                while !shuttingDown() {
                    if try worker.runOne() != nil {
                        if options.once { return }
                        continue
                    }
                    try options.reports?.flushIndex(db)
                    if options.once || options.exitWhenIdle { return }
                    // Short waits so a shutdown request is seen promptly; NOTIFY wakes us at once.
                    _ = try db.notifications(timeout: min(options.pollSeconds, 0.5))
                }
            } catch {
                logger.warning("worker error; reconnecting", metadata: ["error": "\(error)", "connection_lost": "\(db.isBroken)"])
                WorkerMetrics.reconnected("worker")
                PGSession.wait(delay, unless: shuttingDown)
                delay = min(delay * 2, options.maxReconnectDelay)
            }
        }
    }
}
