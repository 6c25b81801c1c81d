// The job process: what a worker starts for each train or analyze job, and what that process does.
// Its protocol — argv, environment and exit codes — is described once here and used by both sides.
import CProcess
import Foundation
import Logging
import Postgres
import Queue
import Jobs
import Reports
#if canImport(Glibc)
import Glibc
#endif

/// How one execution of a claimed job ended, as seen by the process that ran it (its exit status).
public enum ExecutionOutcome: Int32, Sendable {
    /// The job's state was recorded (succeeded, failed, retrying or dead), or it was no longer ours.
    case recorded = 0
    /// Stopped at a step on request (checkpoint saved); the job's state was left running.
    case stopped = 3
    /// The database connection was lost mid-job: nothing recorded; the job should be given back
    /// without using up an attempt.
    case databaseLost = 75
    /// The job process could not start the job for a reason of its own (its logger, its row unreadable
    /// — a schema the binary does not match —, or its page templates): its stderr's last line says why.
    /// The worker fails the attempt, so a fault that repeats ends in `dead` after the job's attempts
    /// instead of being given back and claimed again for ever.
    case notStarted = 70
}

/// What a worker tells a job process: `isomine run-job` and these arguments; the database conninfo
/// travels in the environment (`databaseVariable`), not in argv, which `ps` shows to every user.
public struct JobProcessInvocation: Equatable, Sendable {
    /// The (hidden) subcommand that runs a job process.
    public static let subcommand = "run-job"
    /// The environment variable that carries the worker's database conninfo to the job.
    public static let databaseVariable = "ISOMINE_JOB_DATABASE"

    public var job: Int
    public var owner: String
    public var attempt: Int
    /// Address-space limit in bytes (0: none).
    public var memoryBytes: UInt64 = 0
    /// The worker's reports root (nil: the job writes no pages).
    public var reportsRoot: String?
    public var publicURL: String?
    public var reportEachEvaluation = false
    /// Threads of a job whose spec does not set `threads` (the worker's share; nil: every core).
    public var threads: Int?

    public init(job: Int, owner: String, attempt: Int) {
        self.job = job
        self.owner = owner
        self.attempt = attempt
    }

    /// The arguments after the executable: the subcommand and its options.
    public var arguments: [String] {
        var a = [Self.subcommand, "--job", String(job), "--owner", owner, "--attempt", String(attempt), "--memory-bytes", String(memoryBytes)]
        if let reportsRoot { a += ["--reports-root", reportsRoot] }
        if let publicURL { a += ["--public-url", publicURL] }
        if reportEachEvaluation { a.append("--report-each-evaluation") }
        if let threads { a += ["--threads", String(threads)] }
        return a
    }

    /// Reads `arguments` (what follows the subcommand) back; throws on anything it did not write.
    public init(parsing arguments: [String]) throws {
        var job: Int?, owner: String?, attempt: Int?
        var memory: UInt64 = 0, root: String?, url: String?, each = false, threads: Int?
        var i = 0
        func value() throws -> String {
            i += 1
            guard i < arguments.count else { throw JobProcessError("\(arguments[i - 1]) needs a value") }
            return arguments[i]
        }
        while i < arguments.count {
            switch arguments[i] {
            case "--job": job = Int(try value())
            case "--owner": owner = try value()
            case "--attempt": attempt = Int(try value())
            case "--memory-bytes": memory = UInt64(try value()) ?? 0
            case "--reports-root": root = try value()
            case "--public-url": url = try value()
            case "--report-each-evaluation": each = true
            case "--threads":
                guard let t = Int(try value()), t >= 1 else { throw JobProcessError("--threads needs a positive integer") }
                threads = t
            default: throw JobProcessError("unknown argument '\(arguments[i])'")
            }
            i += 1
        }
        guard let job, let owner, let attempt else { throw JobProcessError("--job, --owner and --attempt are required") }
        self.init(job: job, owner: owner, attempt: attempt)
        memoryBytes = memory
        reportsRoot = root
        publicURL = url
        reportEachEvaluation = each
        self.threads = threads
    }
}

/// A malformed job-process invocation (only the worker starts job processes).
public struct JobProcessError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// The job process's life: stop handling, death with the worker, the memory limit, then the job.
public enum JobProcess {
    /// Runs the invoked job and exits with its `ExecutionOutcome`. `logger` is made after the stop
    /// handler is in place.
    public static func run(_ invocation: JobProcessInvocation, logger makeLogger: () throws -> Logger) -> Never {
        // The worker spawned us with SIGTERM and SIGINT blocked: installing the handler unblocks them,
        // and a stop sent while we started is delivered now, as a checkpoint-and-exit.
        let stop = ShutdownFlag.installed()
        // Die with the worker (a worker that is killed must not leave its jobs computing).
        _ = isomine_set_parent_death_signal(SIGKILL)
        if getppid() == 1 { exit(ExecutionOutcome.recorded.rawValue) }
        if invocation.memoryBytes > 0 {
            _ = isomine_limit_address_space(invocation.memoryBytes)
        }
        let env = ProcessInfo.processInfo.environment
        let outcome: ExecutionOutcome
        var connection: PGConnection?
        do {
            let logger = try makeLogger()
            let database = PGConnector(conninfo: env[JobProcessInvocation.databaseVariable] ?? env[PGConnector.environmentVariable] ?? "")
            let db = try database.connect()
            connection = db
            let inputs = DatabaseInputs(database)
            guard let claimed = try JobQueue.held(db, id: invocation.job, owner: invocation.owner, attempt: invocation.attempt) else {
                exit(ExecutionOutcome.recorded.rawValue)
            }
            var runner = Runner(logger: logger, inputs: inputs, baselines: inputs)
            if let threads = invocation.threads { runner.threadShare = threads }
            let worker = Worker(db: db, owner: invocation.owner, runner: runner, logger: logger,
                                reports: try invocation.reportsRoot.map { try ReportPublisher(root: ReportsRoot(path: $0), publicBase: invocation.publicURL) })
            worker.reportEachEvaluation = invocation.reportEachEvaluation
            let spec = try JobSpec.parse(Data(claimed.spec.utf8))
            outcome = worker.execute(claimed, spec, shouldStop: { stop.isSet })
        } catch {
            if lostTheDatabase(error, connection: connection) {
                outcome = .databaseLost
            } else {
                FileHandle.standardError.write(Data("error: job \(invocation.job): \(error)\n".utf8))
                outcome = .notStarted
            }
        }
        exit(outcome.rawValue)
    }

    /// Whether an error before the job ran means the database went away (give the job back without
    /// using an attempt) rather than a fault in starting this job (fail the attempt): the database
    /// refusing or failing the connection, a connection that broke, or the server saying the connection
    /// failed (SQLSTATE class 08) or that it is shutting down or restarting (57P). An error that is not
    /// the database's before a connection exists (the logger could not be made) fails the attempt: given
    /// back, the job would be claimed again and fail the same way for ever.
    static func lostTheDatabase(_ error: Error, connection: PGConnection?) -> Bool {
        guard let connection else { return error is PGError }
        if connection.isBroken { return true }
        guard let e = error as? PGError else { return false }
        if e.code == .connection { return true }
        return e.sqlstate.map { $0.hasPrefix("08") || $0.hasPrefix("57P") } ?? false
    }
}
