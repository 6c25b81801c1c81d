// Heartbeats for one running job, from a thread and a connection of their own, for as long as the job
// runs — whatever the job is doing (loading data, a long analysis or evaluation, a child process).
import Postgres
import Queue
import Webhooks
import Foundation
import Logging

/// Keeps a claimed job's lease alive on a timer and watches for its cancellation.
///
/// A job used to heartbeat only from its training steps, so data loading, an analysis or a long
/// evaluation sent none, the lease expired, and the job was rescued and run again while still running.
/// The keeper runs beside the job instead: every `leaseSeconds / 3` it extends the lease, every second it
/// checks for a cancel; a lost lease or a cancel is reported through `lost` / `cancelled` (the job is
/// then stopped by whoever runs it). A connection error is retried on the next beat with a new
/// connection (the lease is long enough for two more beats); it is never taken for a lost lease.
final class LeaseKeeper: @unchecked Sendable {
    // `lock` guards `_lost`, `_cancelled`, `_stopped`: the keeper thread writes, the job's thread reads.
    private let lock = NSLock()
    private var _lost = false
    private var _cancelled = false
    private var _stopped = false
    private var thread: Thread?
    private let wake = DispatchSemaphore(value: 0)
    private let job: ClaimedJob, owner: String, leaseSeconds: Int, database: PGConnector, logger: Logger

    var lost: Bool { lock.lock(); defer { lock.unlock() }; return _lost }
    var cancelled: Bool { lock.lock(); defer { lock.unlock() }; return _cancelled }
    private var stopped: Bool { lock.lock(); defer { lock.unlock() }; return _stopped }

    init(job: ClaimedJob, owner: String, leaseSeconds: Int, database: PGConnector, logger: Logger) {
        self.job = job
        self.owner = owner
        self.leaseSeconds = leaseSeconds
        self.database = database
        self.logger = logger
        let thread = Thread { [self] in beat() }
        thread.name = "isomine.lease.\(job.id)"
        self.thread = thread
        thread.start()
    }

    private func beat() {
        let beatEvery = max(1.0, Double(leaseSeconds) / 3)
        let session = database.session()
        var lastBeat = Date()
        var lastCheck = Date.distantPast
        while !stopped {
            let now = Date()
            if now.timeIntervalSince(lastBeat) >= beatEvery || now.timeIntervalSince(lastCheck) >= 1 {
                do {
                    let db = try session.connection()
                    if now.timeIntervalSince(lastBeat) >= beatEvery {
                        let held = try JobQueue.heartbeat(db, job, owner: owner, leaseSeconds: leaseSeconds)
                        lastBeat = now
                        if !held { mark(lost: true) }
                    }
                    if now.timeIntervalSince(lastCheck) >= 1 {
                        lastCheck = now
                        if try JobQueue.isCancelled(db, job) { mark(cancelled: true) }
                    }
                } catch {
                    logger.warning("heartbeat failed; retrying", metadata: ["job": "\(job.id)", "error": "\(error)"])
                    session.reset()
                    lastCheck = now
                }
            }
            // Woken at once by `stop()`, so a finished job does not wait out the poll interval.
            _ = wake.wait(timeout: .now() + 0.05)
        }
    }

    private func mark(lost: Bool = false, cancelled: Bool = false) {
        lock.lock()
        _lost = _lost || lost
        _cancelled = _cancelled || cancelled
        lock.unlock()
    }

    /// Stops the heartbeats (the job has ended); returns once the thread has seen it.
    func stop() {
        lock.lock()
        _stopped = true
        lock.unlock()
        wake.signal()
        while thread?.isFinished == false { Thread.sleep(forTimeInterval: 0.01) }
    }
}
