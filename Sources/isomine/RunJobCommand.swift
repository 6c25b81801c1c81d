// The child process of a worker: runs one claimed job and exits; the worker heartbeats and watches it.
import ArgumentParser
import CProcess
import Foundation
import Postgres
import Queue
import Webhooks
import Workers
import Reports
import Jobs
#if canImport(Glibc)
import Glibc
#endif

/// `isomine run-job`: hidden; started by `isomine worker` for each job (see `Worker.supervise`).
struct RunJobCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run-job",
        abstract: "Run one claimed job (started by the worker; not for direct use).",
        shouldDisplay: false)

    @Option var job: Int
    @Option var owner: String
    @Option var attempt: Int
    @Option(help: "Address-space limit in bytes (0: none).")
    var memoryBytes: UInt64 = 0
    @Flag var reportEachEvaluation = false
    @Option(help: "The worker's reports root (absent: the job has no reports).")
    var reportsRoot: String?
    @Option var publicUrl: String?

    func run() throws {
        // The worker spawned us with SIGTERM and SIGINT blocked: installing the handler unblocks them,
        // and a stop sent while we started is delivered now, as a checkpoint-and-exit.
        let stop = ShutdownFlag.installed()
        // Die with the worker (a worker that is killed must not leave its jobs computing).
        _ = isomine_set_parent_death_signal(SIGKILL)
        if getppid() == 1 { Foundation.exit(ExecutionOutcome.recorded.rawValue) }
        if memoryBytes > 0 {
            _ = isomine_limit_address_space(memoryBytes)
        }
        let logging = try LoggingOptions.parse([])
        let logger = try logging.bootstrap()
        let env = ProcessInfo.processInfo.environment
        let outcome: ExecutionOutcome
        do {
            let conninfo = env["ISOMINE_JOB_DATABASE"] ?? env["DATABASE_URL"] ?? ""
            let db = try PGConnection(conninfo)
            let inputs = DatabaseInputs(conninfo: conninfo)
            guard let claimed = try JobQueue.held(db, id: job, owner: owner, attempt: attempt) else {
                Foundation.exit(ExecutionOutcome.recorded.rawValue)
            }
            let worker = Worker(db: db, owner: owner, runner: Runner(logger: logger, inputs: inputs, baselines: inputs), logger: logger,
                                reports: try reportsRoot.map { try ReportPublisher(root: ReportsRoot(path: $0), publicBase: publicUrl) })
            worker.reportEachEvaluation = reportEachEvaluation
            let spec = try JobSpec.parse(Data(claimed.spec.utf8))
            outcome = worker.execute(claimed, spec, shouldStop: { stop.isSet })
        } catch {
            outcome = .databaseLost
        }
        Foundation.exit(outcome.rawValue)
    }
}
