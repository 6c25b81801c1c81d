// `isomine enqueue`, `isomine worker` and `isomine jobs …`: the database front door.
import ArgumentParser
import CoreMetrics
import Prometheus
import CProcess
import Dispatch
import Foundation
import Postgres
import Queue
import Webhooks
import Workers
import Jobs
import Datasets
import Reports

struct Enqueue: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a spec and queue it in PostgreSQL; prints the job id.",
        discussion: "SQL does the same: SELECT isomine.enqueue('train', '{...}'::jsonb, priority => 0, run_after => now(), unique_key => NULL, max_attempts => NULL, queue => NULL);")

    @Argument(help: "Job kind: train, analyze or sweep.")
    var kind: String

    @Argument(help: "Path of the job spec (JSON).")
    var spec: String

    @Option(help: "Higher runs first.")
    var priority = 0

    @Option(help: "Not before this time (a PostgreSQL timestamptz, e.g. '2026-12-01 09:00+00').")
    var runAfter: String?

    @Option(help: "Deduplicate: while a queued or running job holds this key, return its id instead.")
    var uniqueKey: String?

    @Option(help: "Attempts before the job is dead (default by kind: train 3, analyze 2, sweep 1; a sweep's runs get train's 3).")
    var maxAttempts: Int?

    @Option(help: "The queue (default: the spec's queue, else 'default'); workers serve the queues they are given with --queues.")
    var queue: String?

    @Flag(help: "Do not check that the spec's data files exist under ISOMINE_DATA_ROOT here (when only the workers hold them).")
    var noFileCheck = false

    func validate() throws {
        if let maxAttempts, maxAttempts < 1 { throw ValidationError("--max-attempts: must be at least 1") }
        if let queue, !SpecLimits.isQueueName(queue) {
            throw ValidationError("--queue: '\(queue)' is not a queue name; use 1 to 63 of a-z, 0-9, _ . - starting with a letter or digit")
        }
    }

    func run() throws {
        try CLIError.reporting {
            let job = try JobSpec.load(path: spec)
            guard case .string(let specKind)? = job.json["kind"], specKind == kind else {
                let specKind: String
                if case .string(let k)? = job.json["kind"] { specKind = k } else { specKind = "?" }
                throw SpecError(path: "spec.kind", "is '\(specKind)', but the command enqueues '\(kind)'")
            }
            if !noFileCheck {
                // A missing file would fail the job for good on the worker: say so now.
                let root = DataRoot.fromEnvironment()
                switch job {
                case .train(let t): try t.dataset.checkFilesExist(dataRoot: root, field: "spec.dataset")
                case .analyze(let a): try a.dataset.checkFilesExist(dataRoot: root, field: "spec.dataset")
                case .sweep(let s): for child in s.children { try child.spec.dataset.checkFilesExist(dataRoot: root, field: "spec.base.dataset") }
                }
            }
            let text = try JSONValue.parse(try Data(contentsOf: URL(fileURLWithPath: spec))).compactText()
            let db = try PGConnection.fromEnvironment()
            print(try JobQueue.enqueue(db, kind: kind, spec: text, priority: priority, runAfter: runAfter, uniqueKey: uniqueKey,
                                       maxAttempts: maxAttempts, queue: queue))
        }
    }
}

struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run queued jobs from PostgreSQL.",
        discussion: "Each of --concurrency threads has its own connection (reconnecting with backoff when the database is down or restarts) and claims jobs of the --queues it serves with FOR UPDATE SKIP LOCKED; it waits on NOTIFY isomine_jobs with a polling backstop. Each train or analyze job runs in a child process (memory-limited by --job-memory) while the thread heartbeats its lease; a crash or memory-limit kill fails that job only. Metrics, checkpoints, artifacts and results are written back, and each finished job's report goes to ISOMINE_REPORTS_ROOT/job-ID/index.html (default ./reports; index.html lists every job); expired leases are rescued. SIGTERM or SIGINT: stop claiming, checkpoint the running jobs at their next step, give them back to the queue, exit 0; jobs that have not stopped within --grace-seconds are given back as they are.")

    @Option(help: "Jobs run at the same time (threads). Keep concurrency × blas_threads ≤ cores.")
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
        let logger = try logging.bootstrap()
        let memory = try jobMemoryBytes()
        let queueNames = try queueList()
        if let metricsAddress {
            // Prometheus through swift-metrics: every Counter/Timer/Gauge of the worker lands in `registry`.
            let registry = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            let conninfo = ProcessInfo.processInfo.environment["DATABASE_URL"] ?? ""
            let server: OpsServer
            do { server = try OpsServer(address: metricsAddress, registry: registry, conninfo: conninfo) } catch let e as OpsAddressError {
                CLIError.printError("error: \(e)")
                throw ExitCode(CLIError.invalidSpec)
            }
            let gauges = QueueGauges(conninfo: conninfo)
            server.start { gauges.refresh() }
            WorkerMetrics.slots(concurrency)
            logger.info("metrics served", metadata: ["address": "\(metricsAddress)", "port": "\(server.port)"])
        }
        let host = ProcessInfo.processInfo.hostName
        let pid = ProcessInfo.processInfo.processIdentifier
        // Reports go under ISOMINE_REPORTS_ROOT (default ./reports): job-ID/index.html and index.html.
        let reports = try ReportPublisher.fromEnvironment()
        // A reports folder that belongs to another database is refused before any job runs (when the
        // database is reachable now; otherwise every page write checks again).
        if let db = try? PGConnection.fromEnvironment() {
            do { try reports.checkOwnership(db) } catch let e as ReportFolderError {
                CLIError.printError("error: \(e)")
                throw ExitCode(CLIError.invalidSpec)
            } catch {}
        }
        let threads = (0..<concurrency).map { slot in
            Thread { [once, exitWhenIdle, leaseSeconds, pollSeconds, reportEachEvaluation, graceSeconds] in
                var options = WorkerLoopOptions(owner: "\(host):\(pid):\(slot)")
                options.once = once
                options.exitWhenIdle = exitWhenIdle
                options.leaseSeconds = leaseSeconds
                options.pollSeconds = pollSeconds
                options.reports = reports
                options.reportEachEvaluation = reportEachEvaluation
                options.jobMemoryBytes = memory
                options.graceSeconds = graceSeconds
                options.queues = queueNames
                let inputs = DatabaseInputs(conninfo: ProcessInfo.processInfo.environment["DATABASE_URL"] ?? "")
                WorkerLoop.run(options: options, runner: Runner(logger: logger, inputs: inputs, baselines: inputs), logger: logger,
                               shuttingDown: { shutdown.isSet }, connect: { try PGConnection.fromEnvironment() })
            }
        }
        // One more thread delivers webhooks, so a slow receiver never holds up a job.
        let schedule = try DeliverySchedule(parsing: webhookSchedule)
        let dispatcher = WebhookDispatcherThread(schedule: schedule, timeout: webhookTimeout, logger: logger, shuttingDown: { shutdown.isSet })
        dispatcher.start(connect: { try PGConnection.fromEnvironment() })
        // However the worker leaves, a webhook POST in flight is finished and recorded first.
        func stopWebhooks() {
            if !dispatcher.stopAndJoin() {
                logger.warning("webhook dispatcher still sending at exit; its delivery is retried once its claim expires")
            }
        }
        threads.forEach { $0.start() }
        // The registry row `isomine status` lists, refreshed every 10 s and removed on the way out.
        let workerID = "\(host):\(pid)"
        let registry = PGSession(conninfo: ProcessInfo.processInfo.environment["DATABASE_URL"] ?? "")
        var nextRegistration = Date.distantPast
        func refreshRegistry() {
            do {
                try WorkerRegistry.register(try registry.connection(), id: workerID, host: host, pid: pid, queues: queueNames, concurrency: concurrency)
            } catch {
                registry.reset()
                logger.debug("worker registry not refreshed", metadata: ["error": "\(error)"])
            }
        }
        defer { if let db = registry.current { try? WorkerRegistry.deregister(db, id: workerID) } }
        var stopRequested: Date?
        while threads.contains(where: { !$0.isFinished }) {
            Thread.sleep(forTimeInterval: 0.05)
            if Date() >= nextRegistration && !shutdown.isSet {
                refreshRegistry()
                nextRegistration = Date().addingTimeInterval(10)
            }
            guard shutdown.isSet else { continue }
            let since = stopRequested ?? Date()
            stopRequested = since
            // The supervising threads kill their jobs' processes at the grace period and give the jobs
            // back; this is the backstop for a thread stuck elsewhere.
            if Date().timeIntervalSince(since) >= graceSeconds + 5 {
                // The threads are still inside jobs: hand those jobs back from a connection of our own.
                let owners = (0..<concurrency).map { "\(host):\(pid):\($0)" }
                do {
                    let released = try JobQueue.releaseAll(try PGConnection.fromEnvironment(), owners: owners)
                    logger.warning("grace period over; released the jobs still running", metadata: ["jobs": "\(released)"])
                } catch {
                    logger.error("grace period over; could not release the running jobs (their leases will expire)", metadata: ["error": "\(error)"])
                }
                stopWebhooks()
                Foundation.exit(0)
            }
        }
        // --once / --exit-when-idle: the jobs are done; send the webhooks they made due before leaving
        // (CI and the demo run this way), within --webhook-drain-seconds. Retries scheduled later stay queued.
        if (once || exitWhenIdle) && !shutdown.isSet {
            let deadline = Date().addingTimeInterval(webhookDrainSeconds)
            do {
                let db = try PGConnection.fromEnvironment()
                let sender = WebhookDispatcher(db: db, client: try HTTPClient(connectTimeout: min(5, webhookTimeout), timeout: webhookTimeout),
                                               schedule: schedule, logger: logger)
                while Date() < deadline && !shutdown.isSet {
                    if try sender.deliverDue(limit: 1) == 0 {
                        // None due and unclaimed: done unless another dispatcher still holds one in flight.
                        if try WebhookStore.dueCount(db) == 0 { break }
                        Thread.sleep(forTimeInterval: 0.1)
                    }
                }
            } catch {
                logger.warning("webhooks not delivered before exiting", metadata: ["error": "\(error)"])
            }
        }
        stopWebhooks()
    }
}

/// Sizes written like 2GiB, 512MiB, 1.5G, 300M or a number of bytes.
enum ByteSize {
    /// Below this a job process cannot start (Swift runtime, OpenBLAS buffers, libpq, glibc arenas).
    static let runtimeMinimum: UInt64 = 512 * 1_048_576

    static func parse(_ text: String) -> UInt64? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let units: [(String, Double)] = [("GiB", 1_073_741_824), ("MiB", 1_048_576), ("KiB", 1024), ("G", 1_073_741_824), ("M", 1_048_576), ("K", 1024), ("B", 1)]
        for (suffix, factor) in units where t.hasSuffix(suffix) {
            guard let v = Double(t.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), v >= 0, v * factor < 1.8e19 else { return nil }
            return UInt64(v * factor)
        }
        return UInt64(t)
    }
}

/// Set once SIGTERM or SIGINT arrives. A C handler sets the flag (installed with `sigaction`, so there
/// is no moment when a stop signal is ignored and lost, as there was between `signal(SIG_IGN)` and a
/// dispatch source's registration); the job process is spawned with both signals blocked and
/// unblocks them here, so a stop sent while it starts is delivered instead of killing it.
final class ShutdownFlag: Sendable {
    private init() {}

    var isSet: Bool { isomine_stop_requested() != 0 }

    /// Installs the handler (idempotent: every flag reads the one process-wide signal state).
    static func installed() -> ShutdownFlag {
        _ = isomine_install_stop_handler()
        return ShutdownFlag()
    }
}

struct Jobs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, show, cancel and retry jobs in PostgreSQL.",
        subcommands: [List.self, Show.self, Cancel.self, Retry.self, Prune.self])

    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete ended jobs older than a duration, with their events, metrics, checkpoints, artifacts, report rows and sent webhook deliveries.",
            discussion: "Only succeeded, failed, cancelled and dead jobs (never queued or running; a sweep stays while any of its runs is active), in batches of --batch rows per transaction. Prints how many jobs were removed. Report pages on disk are left alone.")
        @Option(help: "Age since the job ended: a number and a unit, s, m, h, d or w (e.g. 30d).")
        var olderThan: String
        @Option(help: "Only this ended state (repeatable): succeeded, failed, cancelled, dead. Default: all four.")
        var state: [String] = []
        @Option(help: "Jobs deleted per transaction.")
        var batch = 1000

        func validate() throws {
            guard Pruning.seconds(olderThan) != nil else {
                throw ValidationError("--older-than: '\(olderThan)' is not a duration; write a positive number and a unit (s, m, h, d, w), e.g. 30d")
            }
            for s in state where !Pruning.endedStates.contains(s) {
                throw ValidationError("--state: '\(s)' is not an ended state; expected one of \(Pruning.endedStates.joined(separator: ", "))")
            }
            guard batch >= 1 else { throw ValidationError("--batch: must be at least 1") }
        }

        func run() throws {
            try CLIError.reporting {
                let n = try Pruning.prune(try PGConnection.fromEnvironment(), olderThan: Pruning.seconds(olderThan)!,
                                          states: state.isEmpty ? Pruning.endedStates : state, batch: batch)
                print("pruned \(n) jobs")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Jobs, newest first (a sweep's runs show their sweep's id under parent).")
        @Option(help: "Only this state: queued, running, succeeded, failed, cancelled, dead.")
        var state: String?
        @Option(help: "Only the runs of this sweep.")
        var parent: Int?
        @Flag(help: "Leave out the runs of sweeps (jobs with a parent).")
        var hideRuns = false
        @Option(help: "At most this many.")
        var limit = 50

        func run() throws {
            try CLIError.reporting {
                let db = try PGConnection.fromEnvironment()
                let rows = try JobQueue.list(db, state: state, parent: parent, hideRuns: hideRuns, limit: limit)
                let columns = [("id", "id"), ("kind", "kind"), ("queue", "queue"), ("state", "state"), ("attempt", "attempts"), ("priority", "priority"),
                               ("parent", "parent"), ("created", "created"), ("verdict", "verdict"), ("progress", "progress"), ("name", "name")]
                let body = try (0..<rows.count).map { r in try columns.map { try rows.string(r, $0.1) ?? "" } }
                print(TextTable.render([columns.map(\.0)] + body), terminator: "")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One job as JSON (spec, state, attempts, last error, result; a sweep also shows how many of its runs are in each state).")
        @Argument var id: Int
        @Flag(help: "For a finished sweep: print its per-cell table (collapse rate, P@1, collapse warnings) and the warning summaries instead of the JSON.")
        var cells = false

        func run() throws {
            try CLIError.reporting {
                let db = try PGConnection.fromEnvironment()
                guard let text = try JobQueue.show(db, id: id) else { throw RunError("job \(id) does not exist") }
                let job = try JSONValue.parse(Data(text.utf8))
                if cells {
                    guard let result = job["result"], result["kind"] == .string("sweep") else {
                        throw RunError("job \(id) is not a finished sweep; --cells needs one")
                    }
                    let sweep = try JSONDecoder().decode(SweepResult.self, from: try result.serialized(pretty: false))
                    print(SweepTable.render(sweep), terminator: "")
                } else {
                    print(String(decoding: try job.serialized(), as: UTF8.self))
                }
            }
        }
    }

    struct Retry: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Queue a failed, dead or cancelled job again with fresh attempts (a sweep: with its failed, dead or cancelled runs).")
        @Argument var id: Int

        func run() throws {
            try CLIError.reporting {
                let db = try PGConnection.fromEnvironment()
                guard try JobQueue.retry(db, id: id) else { throw RunError("job \(id) does not exist or is not failed, dead or cancelled") }
                print("queued \(id)")
            }
        }
    }

    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a queued or running job (a running one stops between steps; a sweep cancels its runs).")
        @Argument var id: Int

        func run() throws {
            try CLIError.reporting {
                let db = try PGConnection.fromEnvironment()
                guard try JobQueue.cancel(db, id: id) else { throw RunError("job \(id) does not exist or has already ended") }
                print("cancelled \(id)")
            }
        }
    }
}

struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "metrics", abstract: "A job's metric rows (step, name, value), as written at each evaluation.")

    @Argument var id: Int

    @Option(help: "Only this metric (e.g. precision_at_1, d_iso_upper).")
    var name: String?

    func run() throws {
        try CLIError.reporting {
            let db = try PGConnection.fromEnvironment()
            let rows = try JobQueue.metrics(db, id: id, name: name)
            let body = try (0..<rows.count).map { r in try ["step", "name", "value"].map { try rows.string(r, $0) ?? "" } }
            print(TextTable.render([["step", "name", "value"]] + body), terminator: "")
        }
    }
}

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Render a job's HTML report again (and the index page) under ISOMINE_REPORTS_ROOT.",
        discussion: "Writes ISOMINE_REPORTS_ROOT/job-ID/index.html (default root ./reports) from the job's row and artifacts, records its sha256 in isomine.reports and rewrites ISOMINE_REPORTS_ROOT/index.html. The worker does this by itself when a job ends; use this after changing the root or to report a job that is still running.")

    @Argument(help: "The job id.")
    var id: Int?

    @Flag(help: "Every job (newest 1000), instead of one.")
    var all = false

    func run() throws {
        try CLIError.reporting {
            guard (id == nil) == all else { throw ValidationError("give a job id or --all") }
            let db = try PGConnection.fromEnvironment()
            let publisher = try ReportPublisher.fromEnvironment()
            let ids = try id.map { [$0] } ?? JobQueue.recentIDs(db, limit: 1000)
            for id in ids {
                let report = try publisher.publish(db, jobID: id)
                print("\(report.fullPath)  sha256 \(report.sha256)")
            }
            try publisher.publishIndex(db)
            print("index: \(publisher.root.path)/index.html")
        }
    }
}

struct Webhooks: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Webhook endpoints (Standard Webhooks): add, list, remove, test, and the delivery log.",
        discussion: """
        Events: job.succeeded, job.failed, job.dead, collapse.detected, collapse.warning, sweep.finished, report.ready. Each delivery is a POST of {"type", "timestamp", "data"} with headers webhook-id (the same on every retry), webhook-timestamp and webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body"> keyed by the base64-decoded whsec_ secret. The worker delivers them (2xx is success; retries at once, then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h with jitter, or later if Retry-After says so; 410 disables the endpoint).
        """,
        subcommands: [Add.self, List.self, Remove.self, Test.self, Deliveries.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register an endpoint; prints its id and secret.")
        @Argument(help: "http:// or https:// URL that receives the POSTs.")
        var url: String
        @Option(help: "Comma-separated event types.")
        var events: String
        @Option(help: "Signing secret whsec_<base64> (default: a new random one, printed once).")
        var secret: String?
        @Flag(help: "Also send the self-contained report HTML in report.ready payloads (data.report_html).")
        var attachReport = false
        @Option(help: "Body format: standard ({type, timestamp, summary, data}) or slack ({\"text\": summary and report link}, for Slack-compatible incoming webhooks); both are signed.")
        var format = "standard"
        @Flag(help: "Let this endpoint reach loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local (169.254/16, fe80::/10), shared and multicast addresses, refused by default (ISOMINE_WEBHOOK_ALLOW_PRIVATE=1 allows them for every endpoint).")
        var allowPrivateNetwork = false

        func run() throws {
            try CLIError.reporting {
                let key = try secret.map { try WebhookSecret($0) } ?? WebhookSecret.generate()
                let names = events.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                let db = try PGConnection.fromEnvironment()
                let id = try WebhookStore.add(db, url: url, events: names, secret: key, attachReport: attachReport, format: format,
                                              allowPrivateNetwork: allowPrivateNetwork)
                print("endpoint \(id)")
                if secret == nil { print("secret \(key.text)  (store it: it is needed to verify signatures)") }
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Endpoints with their events and state (secrets are not shown).")
        func run() throws {
            try CLIError.reporting {
                let db = try PGConnection.fromEnvironment()
                let body = try WebhookStore.list(db).map { e in
                    [String(e.id), e.enabled ? "yes" : "no", e.attachReport ? "yes" : "no", e.format, e.allowPrivateNetwork ? "yes" : "no",
                     e.events.joined(separator: ","), e.maskedURL + (e.disabledReason.map { "  (disabled: \($0))" } ?? "")]
                }
                print(TextTable.render([["id", "enabled", "attach", "format", "private", "events", "url"]] + body), terminator: "")
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete an endpoint and its deliveries.")
        @Argument var id: Int
        func run() throws {
            try CLIError.reporting {
                guard try WebhookStore.remove(try PGConnection.fromEnvironment(), id: id) else { throw RunError("webhook endpoint \(id) does not exist") }
                print("removed \(id)")
            }
        }
    }

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Queue a webhook.test delivery to an endpoint (a running worker sends it).")
        @Argument var id: Int
        func run() throws {
            try CLIError.reporting {
                print("queued \(try WebhookStore.test(try PGConnection.fromEnvironment(), id: id))")
            }
        }
    }

    struct Deliveries: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Recent deliveries: state, attempts, last status or error.")
        @Option(help: "Only this endpoint.")
        var endpoint: Int?
        @Option(help: "At most this many.")
        var limit = 50
        func run() throws {
            try CLIError.reporting {
                let db = try PGConnection.fromEnvironment()
                let rows = try WebhookStore.deliveries(db, endpoint: endpoint, limit: limit)
                let columns = ["id", "endpoint_id", "job", "event_type", "state", "attempts", "status", "message_id", "error"]
                let body = try (0..<rows.count).map { r in try columns.map { try rows.string(r, $0) ?? "" } }
                print(TextTable.render([["id", "endpoint", "job", "event", "state", "attempts", "status", "webhook-id", "error"]] + body), terminator: "")
            }
        }
    }
}
