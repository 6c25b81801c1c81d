// `isomine worker`: options, validated, for `WorkerProcess` (in Workers), which runs the worker.
import Console
import ArgumentParser
import Foundation
import Operations
import Postgres
import Queue
import Webhooks
import Workers
import Jobs
import Datasets
import Reports

struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run queued jobs from PostgreSQL.",
        discussion: "Each of --concurrency threads has its own connection (reconnecting with backoff when the database is down or restarts) and claims jobs of the --queues it serves with FOR UPDATE SKIP LOCKED; it waits on NOTIFY isomine_jobs with a polling backstop. Each train or analyze job runs in a child process (memory-limited by --job-memory) while the thread heartbeats its lease; a crash or memory-limit kill fails that job only. Metrics, checkpoints, artifacts and results are written back, and each finished job's report goes to ISOMINE_REPORTS_ROOT/job-ID/index.html (default ./reports; index.html lists every job); expired leases are rescued. Two more threads evaluate the monitored series of those --queues (one the step-0 risks, one the signal rows) (users' own training loops, clients/python's Monitor; a monitor's queue setting, default: default): the step-0 collapse risk of the batches a monitor sent and the warning rule on every signal row, recording the series' collapse.warning once; --once and --exit-when-idle evaluate what is due before exiting. SIGTERM or SIGINT: stop claiming, checkpoint the running jobs at their next step, give them back to the queue, exit 0; jobs that have not stopped within --grace-seconds are given back as they are.")

    @Option(help: "Jobs run at the same time. A job whose spec does not set threads gets cores ÷ concurrency threads.")
    var concurrency = 1

    @Flag(help: "Run at most one job, then exit.")
    var once = false

    @Flag(help: "Exit when no job is ready.")
    var exitWhenIdle = false

    @Option(help: "Lease length; the worker heartbeats every third of it.")
    var leaseSeconds = 30

    @Option(help: "Polling backstop when no NOTIFY arrives.")
    var pollSeconds = 2.0

    @Flag(help: "Also re-render a running train job's report at each evaluation (the page then follows the run).")
    var reportEachEvaluation = false

    @Option(help: "Webhook retry delays in seconds after each failed attempt (Standard Webhooks' schedule by default).")
    var webhookSchedule = "5,300,1800,7200,18000,36000,36000"

    @Option(help: "Webhook request timeout in seconds (connecting: at most 5).")
    var webhookTimeout = 15.0

    @Option(help: "With --once or --exit-when-idle: how long the worker keeps delivering the webhooks that are due (first attempts and retries due now) before it exits.")
    var webhookDrainSeconds = 60.0

    @Option(help: "After SIGTERM or SIGINT, how long running jobs get to reach a step and checkpoint; jobs still running then (an analysis has no steps) are released to the queue and the worker exits 0.")
    var graceSeconds = 20.0

    @Option(help: "Memory (address space) each job's process may use, e.g. 2GiB or 512MiB; 0 for no limit. Default: 80 % of the machine's memory divided by --concurrency. A job over it fails with \"exceeded the memory limit\"; the worker and its other jobs go on.")
    var jobMemory: String?

    @Option(help: "Comma-separated queues to claim jobs from (a-z, 0-9, _ . -), e.g. default,gpu.")
    var queues = "default"

    @Option(help: "Serve GET /metrics (Prometheus text format), /healthz and /readyz on HOST:PORT, e.g. 127.0.0.1:9464.")
    var metricsAddress: String?

    @OptionGroup var logging: LoggingOptions

    /// --queues as a list (validated).
    func queueList() throws -> [String] {
        let list = queues.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !list.isEmpty else { throw ValidationError("--queues: name at least one queue") }
        for q in list where !SpecLimits.isQueueName(q) {
            throw ValidationError("--queues: '\(q)' is not a queue name; use 1 to 63 of a-z, 0-9, _ . - starting with a letter or digit")
        }
        return list
    }

    func validate() throws {
        _ = try queueList()
        if let metricsAddress {
            do { _ = try OpsServer.split(metricsAddress) } catch let e as OpsAddressError { throw ValidationError(e.description) }
        }
        guard concurrency >= 1, leaseSeconds >= 3, pollSeconds > 0, graceSeconds >= 0 else {
            throw ValidationError("--concurrency must be ≥ 1, --lease-seconds ≥ 3, --poll-seconds > 0 and --grace-seconds ≥ 0")
        }
        _ = try jobMemoryBytes()
    }

    /// --job-memory in bytes (validated: 0 or at least what the runtime needs).
    func jobMemoryBytes() throws -> UInt64 {
        guard let text = jobMemory else {
            return UInt64(Double(ProcessInfo.processInfo.physicalMemory) * 0.8) / UInt64(max(concurrency, 1))
        }
        guard let bytes = ByteSize.parse(text) else {
            throw ValidationError("--job-memory: '\(text)' is not a size; write it like 2GiB, 512MiB or 0 (no limit)")
        }
        if bytes != 0 && bytes < ByteSize.runtimeMinimum {
            throw ValidationError("--job-memory: \(text) is below the \(ByteSize.runtimeMinimum / 1_048_576) MiB a job process needs to start (its runtime, BLAS and PostgreSQL client); use 0 for no limit")
        }
        return bytes
    }

    func run() throws {
        // First, before anything can be asked to stop: a SIGTERM from now on is a graceful stop.
        let shutdown = ShutdownFlag.installed()
        let logger = try logging.bootstrap(defaultLevel: .notice)
        var options = WorkerProcessOptions()
        options.concurrency = concurrency
        options.once = once
        options.exitWhenIdle = exitWhenIdle
        options.leaseSeconds = leaseSeconds
        options.pollSeconds = pollSeconds
        options.reportEachEvaluation = reportEachEvaluation
        options.webhookSchedule = try DeliverySchedule(parsing: webhookSchedule)
        options.webhookTimeout = webhookTimeout
        options.webhookDrainSeconds = webhookDrainSeconds
        options.graceSeconds = graceSeconds
        options.jobMemoryBytes = try jobMemoryBytes()
        options.queues = try queueList()
        options.metricsAddress = metricsAddress
        do { try WorkerProcess.run(options, shutdown: shutdown, logger: logger) } catch let e as WorkerStartError {
            CLIError.printError("error: \(e)")
            throw ExitCode(CLIError.invalidSpec)
        }
    }
}
