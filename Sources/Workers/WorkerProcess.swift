// The worker process: its job threads, the webhook dispatcher, the registry row, the grace-period
// backstop and the webhook drain before an idle exit. `isomine worker` parses options and calls `run`.
import CoreMetrics
import Foundation
import Operations
import Logging
import Postgres
import Prometheus
import Queue
import Reports
import Webhooks
import Jobs

/// Everything `isomine worker` lets an operator set (validated by the CLI).
public struct WorkerProcessOptions: Sendable {
    public var concurrency = 1
    public var once = false
    public var exitWhenIdle = false
    public var leaseSeconds = 30
    public var pollSeconds = 2.0
    public var reportEachEvaluation = false
    public var webhookSchedule = DeliverySchedule.standard
    public var webhookTimeout = 15.0
    public var webhookDrainSeconds = 60.0
    public var graceSeconds = 20.0
    /// Address-space limit of each job process (0: none).
    public var jobMemoryBytes: UInt64 = 0
    public var queues = ["default"]
    /// Serve /metrics, /healthz and /readyz here (HOST:PORT).
    public var metricsAddress: String?

    public init() {}
}

/// Why a worker could not start (an operator error, reported before any job runs).
public struct WorkerStartError: Error, CustomStringConvertible {
    public let description: String
}

public enum WorkerProcess {
    /// Runs the worker until it is stopped (SIGTERM, SIGINT) or, with `once` / `exitWhenIdle`, until
    /// its threads are done. `shutdown` must be installed before anything else, `logger` after it.
    public static func run(_ options: WorkerProcessOptions, shutdown: ShutdownFlag, logger: Logger) throws {
        let database = PGConnector.fromEnvironment()
        if let metricsAddress = options.metricsAddress {
            try serveMetrics(at: metricsAddress, database, options, logger: logger)
        }
        let host = ProcessInfo.processInfo.hostName
        let pid = ProcessInfo.processInfo.processIdentifier
        // Reports go under ISOMINE_REPORTS_ROOT (default ./reports): job-ID/index.html and index.html.
        let reports = try ReportPublisher.fromEnvironment()
        // A reports folder that belongs to another database is refused before any job runs (when the
        // database is reachable now; otherwise every page write checks again).
        if let db = try? database.connect() {
            do { try reports.checkOwnership(db) } catch let e as ReportFolderError {
                throw WorkerStartError(description: "\(e)")
            } catch {}
        }
        // A job whose spec does not set `threads` gets its share of the machine.
        let share = Runner.threadShare(concurrency: options.concurrency)
        let threads = (0..<options.concurrency).map { slot in
            Thread {
                let inputs = DatabaseInputs(database)
                var runner = Runner(logger: logger, inputs: inputs, baselines: inputs)
                runner.threadShare = share
                WorkerLoop.run(options: loopOptions(options, owner: "\(host):\(pid):\(slot)", reports: reports),
                               runner: runner, logger: logger,
                               shuttingDown: { shutdown.isSet }, connect: database.connect)
            }
        }
        // One more thread delivers webhooks, so a slow receiver never holds up a job.
        let dispatcher = WebhookDispatcherThread(schedule: options.webhookSchedule, timeout: options.webhookTimeout, logger: logger,
                                                 shuttingDown: { shutdown.isSet })
        dispatcher.start(connect: database.connect)
        // However the worker leaves, a webhook POST in flight is finished and recorded first.
        func stopWebhooks() {
            if !dispatcher.stopAndJoin() {
                logger.warning("webhook dispatcher still sending at exit; its delivery is retried once its claim expires")
            }
        }
        // And one evaluates monitored series (users' own training loops), so their warnings never wait for a job.
        let monitors = MonitorEvaluatorThread(queues: options.queues, reports: reports, logger: logger, shuttingDown: { shutdown.isSet })
        monitors.start(connect: database.connect)
        threads.forEach { $0.start() }
        let registry = Registration(database, id: "\(host):\(pid)", host: host, pid: pid, options: options, logger: logger)
        defer { registry.remove() }
        var stopRequested: Date?
        while threads.contains(where: { !$0.isFinished }) {
            Thread.sleep(forTimeInterval: 0.05)
            if !shutdown.isSet { registry.refreshIfDue() }
            guard shutdown.isSet else { continue }
            let since = stopRequested ?? Date()
            stopRequested = since
            // The supervising threads kill their jobs' processes at the grace period and give the jobs
            // back; this is the backstop for a thread stuck elsewhere.
            if Date().timeIntervalSince(since) >= options.graceSeconds + 5 {
                releaseStuckJobs(database, owners: (0..<options.concurrency).map { "\(host):\(pid):\($0)" }, logger: logger)
                monitors.stopAndJoin(seconds: 5)
                stopWebhooks()
                exit(0)
            }
        }
        // --once / --exit-when-idle: the jobs are done; send the webhooks they made due before leaving
        // (CI and the demo run this way), within --webhook-drain-seconds. Retries scheduled later stay queued.
        // The monitor thread stops (joined last, so waiting for it holds nothing up); what is due of the
        // monitored series is evaluated here first, since their warnings are webhooks too.
        monitors.requestStop()
        if (options.once || options.exitWhenIdle) && !shutdown.isSet {
            drainMonitors(database, queues: options.queues, reports: reports, shutdown: shutdown, logger: logger)
            drainWebhooks(database, options, shutdown: shutdown, logger: logger)
        }
        stopWebhooks()
        monitors.stopAndJoin()
    }

    /// Prometheus through swift-metrics: every Counter/Timer/Gauge of the worker lands in the registry
    /// /metrics serves, with /healthz and /readyz.
    private static func serveMetrics(at address: String, _ database: PGConnector, _ options: WorkerProcessOptions, logger: Logger) throws {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let server: OpsServer
        do { server = try OpsServer(address: address, registry: registry, database: database) } catch let e as OpsAddressError {
            throw WorkerStartError(description: "\(e)")
        }
        let gauges = QueueGauges(database)
        server.start { gauges.refresh() }
        WorkerMetrics.slots(options.concurrency)
        logger.info("metrics served", metadata: ["address": "\(address)", "port": "\(server.port)"])
    }

    /// One job thread's options.
    private static func loopOptions(_ options: WorkerProcessOptions, owner: String, reports: ReportPublisher) -> WorkerLoopOptions {
        var loop = WorkerLoopOptions(owner: owner)
        loop.once = options.once
        loop.exitWhenIdle = options.exitWhenIdle
        loop.leaseSeconds = options.leaseSeconds
        loop.pollSeconds = options.pollSeconds
        loop.reports = reports
        loop.reportEachEvaluation = options.reportEachEvaluation
        loop.jobMemoryBytes = options.jobMemoryBytes
        loop.graceSeconds = options.graceSeconds
        loop.queues = options.queues
        return loop
    }

    /// The registry row `isomine status` lists, refreshed every 10 s and removed on the way out; a
    /// lost connection is opened again at the next refresh.
    private final class Registration {
        let session: PGSession, id: String, host: String, pid: Int32, options: WorkerProcessOptions, logger: Logger
        private var next = Date.distantPast

        init(_ database: PGConnector, id: String, host: String, pid: Int32, options: WorkerProcessOptions, logger: Logger) {
            (session, self.id, self.host, self.pid, self.options, self.logger) = (database.session(), id, host, pid, options, logger)
        }

        func refreshIfDue() {
            guard Date() >= next else { return }
            next = Date().addingTimeInterval(10)
            do {
                try WorkerRegistry.register(try session.connection(), id: id, host: host, pid: pid, queues: options.queues, concurrency: options.concurrency)
            } catch {
                session.reset()
                logger.debug("worker registry not refreshed", metadata: ["error": "\(error)"])
            }
        }

        func remove() { if let db = session.current { try? WorkerRegistry.deregister(db, id: id) } }
    }

    /// The grace period is over and threads are still inside jobs: hand those jobs back from a
    /// connection of our own.
    private static func releaseStuckJobs(_ database: PGConnector, owners: [String], logger: Logger) {
        do {
            let released = try JobQueue.releaseAll(try database.connect(), owners: owners)
            logger.warning("grace period over; released the jobs still running", metadata: ["jobs": "\(released)"])
        } catch {
            logger.error("grace period over; could not release the running jobs (their leases will expire)", metadata: ["error": "\(error)"])
        }
    }

    /// Evaluates the monitored series with rows or batches due now (another worker's evaluator may hold
    /// one: waited for, at most 60 s).
    private static func drainMonitors(_ database: PGConnector, queues: [String], reports: ReportPublisher, shutdown: ShutdownFlag, logger: Logger) {
        let deadline = Date().addingTimeInterval(60)
        do {
            let db = try database.connect()
            let evaluator = MonitorEvaluator(db: db, queues: queues, reports: reports, logger: logger)
            while Date() < deadline && !shutdown.isSet {
                if try evaluator.evaluateDue(unless: { shutdown.isSet }) == 0 {
                    if try !MonitorStore.hasDue(db, queues: queues) { break }
                    Thread.sleep(forTimeInterval: 0.1)
                }
            }
        } catch {
            logger.warning("monitored series not evaluated before exiting", metadata: ["error": "\(error)"])
        }
    }

    /// Sends the deliveries due now, one at a time (each finished and recorded), until none is due or
    /// the drain time is up.
    private static func drainWebhooks(_ database: PGConnector, _ options: WorkerProcessOptions, shutdown: ShutdownFlag, logger: Logger) {
        let deadline = Date().addingTimeInterval(options.webhookDrainSeconds)
        do {
            let db = try database.connect()
            let sender = WebhookDispatcher(db: db, client: try HTTPClient(connectTimeout: min(5, options.webhookTimeout), timeout: options.webhookTimeout),
                                           schedule: options.webhookSchedule, logger: logger)
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
}
