// A worker: claims jobs from PostgreSQL and runs each in a child process of the same binary (or, when no
// binary is available, in-process), keeping its lease alive from beside the job.
import Vocabulary
import Postgres
import Queue
import Webhooks
import Dispatch
import Foundation
import Jobs
import Logging
#if canImport(Glibc)
import Glibc
#endif

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
    /// Pages and events after results are stored.
    let followUp: JobFollowUp
    /// Also re-render a running train job's report at each evaluation.
    public var reportEachEvaluation = false
    /// The binary whose hidden `run-job` subcommand runs a job in a child process (nil: in-process).
    public var childExecutable: String? = Worker.defaultChildExecutable
    /// Address-space limit of a job's child process in bytes (0: none).
    public var jobMemoryBytes: UInt64 = 0
    /// After a shutdown request, how long a child gets to checkpoint before it is killed.
    public var graceSeconds = 20.0
    /// The queues this worker claims from.
    public var queues = ["default"]
    /// Expired leases are rescued at most this often (and before the first claim), not before every claim.
    public var rescueEverySeconds = 5.0
    private var nextRescue = Date.distantPast

    public init(db: PGConnection, owner: String, runner: Runner, leaseSeconds: Int = 30, logger: Logger = Logger(label: "isomine.worker"),
                reports: ReportPublisher? = nil, shuttingDown: @escaping () -> Bool = { false }) {
        self.db = db
        self.owner = owner
        self.runner = runner
        self.leaseSeconds = leaseSeconds
        self.logger = logger
        self.shuttingDown = shuttingDown
        self.reports = reports
        self.followUp = JobFollowUp(db: db, reports: reports, logger: logger)
    }

    /// The `isomine` binary: this process when it is `isomine`, else an `isomine` next to it (a test
    /// runner in the build folder), else nil (jobs then run in-process).
    public static var defaultChildExecutable: String? {
        let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        if me.lastPathComponent == "isomine" { return me.path }
        let sibling = me.deletingLastPathComponent().appendingPathComponent("isomine").path
        return FileManager.default.isExecutableFile(atPath: sibling) ? sibling : nil
    }

    /// Rescues expired leases, then claims and runs one job. Returns its id, or nil when none was ready.
    public func runOne() throws -> Int? {
        if shuttingDown() { return nil }
        if Date() >= nextRescue {
            let rescued = try JobQueue.rescue(db)
            WorkerMetrics.rescued(rescued)
            if rescued > 0 { logger.warning("rescued jobs whose lease expired", metadata: ["jobs": "\(rescued)"]) }
            nextRescue = Date().addingTimeInterval(rescueEverySeconds)
        }
        guard let job = try JobQueue.claim(db, owner: owner, leaseSeconds: leaseSeconds, queues: queues) else { return nil }
        // At the default level (notice) the log has one line per job claimed and one when the worker is
        // done with it: "ended", or "left" when it has not ended (a sweep waiting for its runs, a job
        // given back or to be retried).
        logger.notice("claimed", metadata: jobMetadata(job))
        WorkerMetrics.started(kind: job.kind.rawValue, attempt: job.attempt)
        WorkerMetrics.busy(1)
        let started = Date()
        defer {
            WorkerMetrics.busy(-1)
            let seconds = Date().timeIntervalSince(started)
            let (outcome, ended, verdict) = ending(of: job)
            WorkerMetrics.finished(kind: job.kind.rawValue, outcome: outcome, seconds: seconds)
            var metadata = jobMetadata(job)
            metadata["outcome"] = "\(outcome.rawValue)"
            if let verdict { metadata["verdict"] = "\(verdict)" }
            metadata["seconds"] = "\(String(format: "%.1f", seconds))"
            logger.notice(ended ? "ended" : "left", metadata: metadata)
        }
        guard let spec = try parsedSpec(job) else { return job.id }
        if case .sweep(let sweep) = spec {
            try advanceSweep(job, sweep)
            return job.id
        }
        let keeper = LeaseKeeper(job: job, owner: owner, leaseSeconds: leaseSeconds, database: db.connector, logger: logger)
        defer { keeper.stop() }
        if let executable = childExecutable {
            try supervise(job, executable: executable, keeper: keeper)
        } else {
            let outcome = execute(job, spec, shouldStop: { [shuttingDown] in keeper.lost || keeper.cancelled || shuttingDown() })
            try settle(job, outcome, keeper: keeper)
        }
        return job.id
    }

    /// The log's fields for a job: id, kind, attempt and its label (name, or series and step) if any.
    private func jobMetadata(_ job: ClaimedJob) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["job": "\(job.id)", "kind": "\(job.kind)", "attempt": "\(job.attempt)"]
        if !job.label.isEmpty { metadata["name"] = "\(job.label)" }
        return metadata
    }

    /// How this execution of `job` ended, for the metrics and the log: the outcome, whether the job has
    /// ended (its state), and its verdict's headline if it has one (read back from its row).
    private func ending(of job: ClaimedJob) -> (JobOutcome, ended: Bool, verdict: String?) {
        struct Row: Decodable { let state: JobState, attempt: Int, lease_owner: String?, verdict: String? }
        let query: PGQuery = "SELECT state, attempt, lease_owner, \(JobQueue.verdictHeadline) AS verdict FROM isomine.jobs WHERE id = \(job.id)"
        guard let row = (try? db.execute(query).decodeOne(Row.self)) ?? nil else { return (.unknown, false, nil) }
        let outcome: JobOutcome
        switch row.state {
        case .queued: outcome = row.attempt < job.attempt ? .released : .retrying
        case .running: outcome = job.kind == .sweep && row.lease_owner == nil ? .waiting : row.lease_owner == owner ? .running : .leaseLost
        case .succeeded: outcome = .succeeded
        case .failed: outcome = .failed
        case .cancelled: outcome = .cancelled
        case .dead: outcome = .dead
        }
        return (outcome, row.state.isEnded, row.verdict)
    }

    /// The job's spec, or nil after failing the job for good when it is invalid (never retried).
    func parsedSpec(_ job: ClaimedJob) throws -> JobSpec? {
        do {
            let spec = try JobSpec.parse(Data(job.spec.utf8))
            if spec.json["kind"] != .string(job.kind.rawValue) {
                throw SpecError(path: "spec.kind", "does not match the job's kind '\(job.kind.rawValue)'")
            }
            return spec
        } catch let e as SpecError {
            try JobQueue.fail(db, job, owner: owner, error: e.description, permanent: true)
            followUp.jobEnded(job.id)
            return nil
        }
    }

    /// What the worker does once the process that ran the job has told how it ended (`tail`: the end of
    /// its stderr).
    func settle(_ job: ClaimedJob, _ outcome: ExecutionOutcome, keeper: LeaseKeeper, tail: String = "") throws {
        switch outcome {
        case .recorded:
            if try JobQueue.state(db, id: job.id)?.isEnded == true { followUp.jobEnded(job.id) }
        case .stopped:
            // Shutdown: the checkpoint is saved; give the job back without using up an attempt.
            if !keeper.lost && !keeper.cancelled && shuttingDown() { try JobQueue.release(db, job, owner: owner) }
            logger.info("stopped", metadata: ["job": "\(job.id)"])
        case .databaseLost:
            // A server restart is not the job's fault: give it back (fenced) once the database answers.
            logger.warning("database lost during the job; giving it back", metadata: ["job": "\(job.id)"])
            let deadline = Date().addingTimeInterval(Double(leaseSeconds))
            while Date() < deadline {
                if let fresh = try? db.connector.connect(), (try? JobQueue.release(fresh, job, owner: owner)) != nil { return }
                Thread.sleep(forTimeInterval: 0.5)
            }
        case .notStarted:
            try crashed(job, "the job process could not start the job", tail: tail)
        }
    }

    /// Runs the job in a child process (`run-job`) and watches it: heartbeats come from `keeper`; a
    /// cancel, a lost lease or a shutdown sends SIGTERM (the child checkpoints and exits), and SIGKILL
    /// follows after the grace period; a crash or a memory-limit kill fails this job only.
    func supervise(_ job: ClaimedJob, executable: String, keeper: LeaseKeeper) throws {
        var environment = ProcessInfo.processInfo.environment
        environment[JobProcessInvocation.databaseVariable] = db.connector.conninfo
        // A crashing child should not spend seconds symbolicating a backtrace.
        environment["SWIFT_BACKTRACE"] = "enable=no"
        var invocation = JobProcessInvocation(job: job.id, owner: owner, attempt: job.attempt)
        invocation.memoryBytes = jobMemoryBytes
        invocation.threads = runner.threadShare
        if let reports {
            invocation.reportsRoot = reports.root.path
            invocation.publicURL = reports.publicBase
            invocation.reportEachEvaluation = reportEachEvaluation
        }
        let started = Date()
        let child = try ChildProcess(executable: executable, arguments: ["isomine"] + invocation.arguments, environment: environment)
        logger.debug("job process started", metadata: ["job": "\(job.id)", "pid": "\(child.pid)"])
        var signalled: Date?
        var killed = false
        var stopReason: StopReason?
        while child.poll() == nil {
            if stopReason == nil {
                stopReason = keeper.lost ? .leaseLost : keeper.cancelled ? .cancelled : shuttingDown() ? .shutdown : nil
                if stopReason != nil { child.send(SIGTERM); signalled = Date() }
            } else if !killed, let since = signalled, Date().timeIntervalSince(since) >= (stopReason == .shutdown ? graceSeconds : 5) {
                child.send(SIGKILL)
                killed = true
            }
            // Short polls at first (most tiny jobs end within a fraction of a second), then 20 ms.
            Thread.sleep(forTimeInterval: Date().timeIntervalSince(started) < 1 ? 0.002 : 0.02)
        }
        let exit = child.poll()!
        logger.debug("job process ended", metadata: ["job": "\(job.id)", "exit": "\(exit)", "seconds": "\(Date().timeIntervalSince(started))"])
        switch exit {
        case .exited(let code):
            if let outcome = ExecutionOutcome(rawValue: code) { return try settle(job, outcome, keeper: keeper, tail: child.stderrTail) }
            try crashed(job, "the job process exited with status \(code)", tail: child.stderrTail)
        case .signalled(let sig):
            if killed {
                // Killed by us after the grace period: a shutdown gives the job back as it is.
                if stopReason == .shutdown { try JobQueue.release(db, job, owner: owner) }
                return
            }
            if child.stderrTail.contains("failed to allocate") {
                WorkerMetrics.memoryKilled(kind: job.kind.rawValue)
                try fail(job, "exceeded the memory limit of \(Worker.formatBytes(jobMemoryBytes)) (the job process could not allocate memory; raise --job-memory or make the job smaller)", permanent: true)
            } else {
                WorkerMetrics.childCrashed(kind: job.kind.rawValue)
                try crashed(job, "crashed with signal \(sig) (\(Worker.signalName(sig)))", tail: child.stderrTail)
            }
        }
    }

    /// Why the supervisor asked a job process to stop.
    private enum StopReason { case leaseLost, cancelled, shutdown }

    private func crashed(_ job: ClaimedJob, _ message: String, tail: String) throws {
        // The child's last fatal message says why (a Swift runtime trap prints "Fatal error: …").
        let fatal = tail.split(separator: "\n").last { $0.contains("Fatal error") || $0.contains("error:") }
        try fail(job, message + (fatal.map { ": " + $0.prefix(300) } ?? ""), permanent: false)
    }

    private func fail(_ job: ClaimedJob, _ message: String, permanent: Bool) throws {
        logger.error("job process failed", metadata: ["job": "\(job.id)", "error": "\(message)"])
        if let state = try JobQueue.fail(db, job, owner: owner, error: message, permanent: permanent), state.isEnded { followUp.jobEnded(job.id) }
    }

    /// Runs a claimed job in this process and records its end (succeeded, failed, retrying, dead), with
    /// every write fenced by the lease. Used by the `run-job` child and when no binary is available.
    public func execute(_ job: ClaimedJob, _ spec: JobSpec, shouldStop: @escaping () -> Bool) -> ExecutionOutcome {
        // Pages first, then the collapse events (the follow-up writes the run's page before each).
        let run = followUp.run(job, owner: owner, pageEachEvaluation: reportEachEvaluation)
        let sink = StoreSink(db: db, job: job, owner: owner, announcer: run)
        do {
            do {
                let outcome = try runner.run(spec, sink: sink, progress: { p in
                    if let phase = p.phase { sink.recordProgress(phase: phase, fraction: p.fraction) }
                    else if p.totalSteps > 0 { sink.recordProgress(phase: "training", fraction: Double(p.step) / Double(p.totalSteps)) }
                }, shouldStop: shouldStop)
                switch outcome {
                case .finished, .analyzed, .swept:
                    let result = try sink.result.map { try $0.json().compactText() } ?? "null"
                    if try !JobQueue.succeed(db, job, owner: owner, result: result) {
                        logger.warning("finished a job this worker no longer holds", metadata: ["job": "\(job.id)"])
                    }
                    return .recorded
                case .stopped(let step):
                    logger.info("stopped", metadata: ["job": "\(job.id)", "step": "\(step)"])
                    return .stopped
                }
            } catch let e as LeaseLost {
                logger.warning("lease lost; the job stops without writing", metadata: ["job": "\(e.jobID)"])
                return .recorded
            } catch let e as SpecError {
                if db.isBroken { return .databaseLost }
                try JobQueue.fail(db, job, owner: owner, error: e.description, permanent: true)
                return .recorded
            } catch {
                if db.isBroken { return .databaseLost }
                try JobQueue.fail(db, job, owner: owner, error: "\(error)", permanent: false)
                return .recorded
            }
        } catch {
            // Recording the end failed: the connection went away.
            return .databaseLost
        }
    }

    static func formatBytes(_ bytes: UInt64) -> String {
        if bytes == 0 { return "none" }
        let gib = Double(bytes) / 1_073_741_824
        if gib >= 1 { return gib == gib.rounded() ? "\(Int(gib)) GiB" : String(format: "%.1f GiB", gib) }
        return "\(bytes / 1_048_576) MiB"
    }

    static func signalName(_ sig: Int32) -> String {
        switch sig {
        case SIGILL: return "SIGILL, a runtime trap"
        case SIGTRAP: return "SIGTRAP, a runtime trap"
        case SIGABRT: return "SIGABRT"
        case SIGSEGV: return "SIGSEGV"
        case SIGBUS: return "SIGBUS"
        case SIGFPE: return "SIGFPE"
        case SIGKILL: return "SIGKILL, possibly the kernel's out-of-memory killer"
        case SIGTERM: return "SIGTERM"
        default: return "signal \(sig)"
        }
    }


    /// A sweep parent is not run here: it queues its runs as child jobs, or aggregates them once they have all ended.
    private func advanceSweep(_ job: ClaimedJob, _ sweep: SweepSpec) throws {
        do {
            switch try SweepQueue.advance(db, job, owner: owner, sweep: sweep) {
            case .fannedOut(let n): logger.info("sweep queued its runs", metadata: ["job": "\(job.id)", "runs": "\(n)"])
            case .waiting: logger.info("sweep waits for its runs", metadata: ["job": "\(job.id)"])
            case .aggregated(let r):
                followUp.jobEnded(job.id)
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
