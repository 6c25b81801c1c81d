// A worker: claims jobs from PostgreSQL and runs them through the same Runner as `isomine run`.
import Dispatch
import Foundation
import Jobs
import Logging

/// Runs queued jobs, one at a time, on its own connection (one Worker per thread).
public final class Worker {
    let db: PGConnection
    public let owner: String
    let runner: Runner
    let leaseSeconds: Int
    let logger: Logger
    /// Polled before claiming and between steps: true once the process is shutting down.
    let shuttingDown: () -> Bool
    /// Writes each finished job's report (nil: no reports).
    let reports: ReportPublisher?
    /// Also re-render a running train job's report at each evaluation.
    public var reportEachEvaluation = false

    public init(db: PGConnection, owner: String, runner: Runner, leaseSeconds: Int = 30, logger: Logger = Logger(label: "isomine.worker"),
                reports: ReportPublisher? = nil, shuttingDown: @escaping () -> Bool = { false }) {
        self.db = db
        self.owner = owner
        self.runner = runner
        self.leaseSeconds = leaseSeconds
        self.logger = logger
        self.shuttingDown = shuttingDown
        self.reports = reports
    }

    /// Rescues expired leases, then claims and runs one job. Returns its id, or nil when none was ready.
    public func runOne() throws -> Int? {
        if shuttingDown() { return nil }
        try JobQueue.rescue(db)
        guard let job = try JobQueue.claim(db, owner: owner, leaseSeconds: leaseSeconds) else { return nil }
        logger.info("claimed", metadata: ["job": "\(job.id)", "kind": "\(job.kind)", "attempt": "\(job.attempt)"])
        let spec: JobSpec
        do {
            spec = try JobSpec.parse(Data(job.spec.utf8))
            if spec.json["kind"] != .string(job.kind) {
                throw SpecError(path: "spec.kind", "does not match the job's kind '\(job.kind)'")
            }
        } catch let e as SpecError {
            // Validation errors are permanent: fail at once, never retry.
            try JobQueue.fail(db, job, owner: owner, error: e.description, permanent: true)
            publishReport(job.id)
            return job.id
        }
        if case .sweep(let sweep) = spec {
            try advanceSweep(job, sweep)
            return job.id
        }
        var progressReport: (([JSONValue]) -> Void)?
        if reportEachEvaluation, let reports {
            progressReport = { [db, logger] history in
                do { try reports.publishProgress(db, jobID: job.id, history: history) } catch {
                    logger.warning("progress report not written", metadata: ["job": "\(job.id)", "error": "\(error)"])
                }
            }
        }
        let sink = StoreSink(db: db, jobID: job.id, reportURL: reports?.url(job.id), onEvaluation: progressReport)
        var lastBeat = DispatchTime.now().uptimeNanoseconds
        var lastCancelCheck = lastBeat
        var stop = false
        let beatEvery = UInt64(max(1, leaseSeconds / 3)) * 1_000_000_000
        let keepAlive: () -> Void = { [self] in
            let now = DispatchTime.now().uptimeNanoseconds
            if now - lastBeat >= beatEvery {
                lastBeat = now
                if (try? JobQueue.heartbeat(db, job, owner: owner, leaseSeconds: leaseSeconds)) != true { stop = true }
            }
            if now - lastCancelCheck >= 1_000_000_000 {
                lastCancelCheck = now
                if (try? JobQueue.isCancelled(db, job)) == true { stop = true }
            }
        }
        do {
            let outcome = try runner.run(spec, sink: sink, progress: { _ in keepAlive() }, shouldStop: { [shuttingDown] in stop || shuttingDown() })
            switch outcome {
            case .finished, .analyzed, .swept:
                let result = try sink.result.map { try $0.json().compactText() } ?? "null"
                if try JobQueue.succeed(db, job, owner: owner, result: result) {
                    publishReport(job.id)
                } else {
                    logger.warning("finished a job this worker no longer holds", metadata: ["job": "\(job.id)"])
                }
            case .stopped(let step):
                // Shutdown: the checkpoint is saved; give the job back without using up an attempt.
                if !stop && shuttingDown() { try JobQueue.release(db, job, owner: owner) }
                logger.info("stopped", metadata: ["job": "\(job.id)", "step": "\(step)"])
            }
        } catch let e as SpecError {
            try JobQueue.fail(db, job, owner: owner, error: e.description, permanent: true)
            publishReport(job.id)
        } catch {
            if try JobQueue.fail(db, job, owner: owner, error: "\(error)", permanent: false) == "dead" { publishReport(job.id) }
        }
        return job.id
    }

    /// Writes the job's report; a report that cannot be written is logged, never fails the job.
    func publishReport(_ id: Int) {
        guard let reports else { return }
        do {
            let report = try reports.publish(db, jobID: id)
            logger.info("report written", metadata: ["job": "\(id)", "path": "\(report.fullPath)"])
        } catch {
            logger.warning("report not written", metadata: ["job": "\(id)", "error": "\(error)"])
        }
    }

    /// A sweep parent is not run here: it queues its runs as child jobs, or aggregates them once they have all ended.
    private func advanceSweep(_ job: ClaimedJob, _ sweep: SweepSpec) throws {
        do {
            switch try SweepQueue.advance(db, job, owner: owner, sweep: sweep) {
            case .fannedOut(let n): logger.info("sweep queued its runs", metadata: ["job": "\(job.id)", "runs": "\(n)"])
            case .waiting: logger.info("sweep waits for its runs", metadata: ["job": "\(job.id)"])
            case .aggregated(let r):
                publishReport(job.id)
                logger.info("sweep finished", metadata: [
                    "job": "\(job.id)", "runs": "\(r.summary.runs)", "collapsed": "\(r.summary.collapsed)", "failed": "\(r.summary.failed)",
                ])
            case .lostLease: logger.warning("sweep no longer held by this worker", metadata: ["job": "\(job.id)"])
            }
        } catch {
            if db.isBroken { throw error }
            try JobQueue.fail(db, job, owner: owner, error: "\(error)", permanent: false)
        }
    }
}
