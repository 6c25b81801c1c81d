// The daemon's reading of a monitored series (a user's own training loop): the step-0 collapse risk of
// the batches its monitor sent, and the warning rule on each signal row, in step order. The rules stay
// here, in one place; the monitor only measures and sends. The series' collapse.warning is recorded
// once, in the transaction that holds the series row, and only before any warning or collapse of it.
import CollapseRisk
import CollapseSignals
import Datasets
import Foundation
import Jobs
import Linalg
import Logging
import Postgres
import Queue
import Synchronization
import Triplets
import Vocabulary

/// Evaluates monitored series on one connection.
public final class MonitorEvaluator {
    let db: PGConnection
    /// The queues whose monitored series this evaluator serves, and what of them it evaluates.
    let queues: [String]
    let part: MonitorStore.Part
    let reports: ReportPublisher?
    let logger: Logger
    /// The f* search's iterations for the mechanism ratio (0: by size, as `isomine risk`).
    public var riskIterations = 0
    /// A series' page is rewritten at most this often while rows arrive (and always when it warns).
    public var pageEverySeconds = 10.0
    private var lastPage: [String: Date] = [:]

    public init(db: PGConnection, queues: [String], part: MonitorStore.Part = .either, reports: ReportPublisher?, logger: Logger) {
        self.db = db
        self.queues = queues
        self.part = part
        self.reports = reports
        self.logger = logger
    }

    /// Evaluates every monitored series with something due, one transaction each; returns how many.
    @discardableResult
    public func evaluateDue(unless stop: () -> Bool = { false }) throws -> Int {
        var count = 0
        while !stop(), let outcome = try evaluateOne() {
            count += 1
            publishPage(outcome.series, now: outcome.warned)
        }
        return count
    }

    /// What one evaluation did.
    struct Outcome { let series: String, warned: Bool }

    /// Claims one due series and evaluates it (nil when none is due). A series whose stored settings or
    /// rows cannot be read is recorded as such and left (`MonitorStore.unreadable`): one series' data
    /// never stops the evaluation of the others behind it.
    func evaluateOne() throws -> Outcome? {
        var claimed: String?
        do {
            return try evaluateClaimed { claimed = $0 }
        } catch where MonitorEvaluator.isDataError(error) {
            guard let series = claimed else { throw error }
            try db.transaction { try MonitorStore.unreadable(db, series: series, error: "\(error)") }
            logger.warning("monitored series cannot be read; left until new rows come", metadata: ["series": "\(series)", "error": "\(error)"])
            return Outcome(series: series, warned: false)
        }
    }

    /// A stored value the evaluation cannot read (a decoding error, or the server's data exception, SQLSTATE
    /// class 22, from a cast), or an error of the evaluation itself (not PostgreSQL's: say, a result it
    /// cannot encode): the series' data, not the connection, so retrying would fail the same way.
    static func isDataError(_ error: any Error) -> Bool {
        guard let error = error as? PGError else { return true }
        return switch error.code {
        case .decoding, .unexpectedNull: true
        case .server(let state): state.hasPrefix("22")
        case .connection: false
        }
    }

    private func evaluateClaimed(_ claimed: (String) -> Void) throws -> Outcome? {
        let started = Date()
        return try db.transaction { () -> Outcome? in
            guard let name = try MonitorStore.claimName(db, queues: queues, part: part) else { return nil }
            claimed(name)
            let work = try MonitorStore.work(db, series: name)
            var warning: JSONValue?
            var risk: JSONValue?
            if work.riskPending {
                let (json, estimate) = stepZeroRisk(work)
                risk = json
                if let estimate, estimate.warns, !work.announced {
                    warning = try riskWarning(work, estimate)
                }
            }
            var last: Int?
            // At most 5000 rows a pass (the series stays due until its last row is read). The rule reads
            // each row with the `trendRecords` before it (the trend clause's rate), from earlier passes too.
            let rows = part == .risk ? [] : try MonitorStore.rows(db, series: work.name, after: work.signalsEvaluated)
            let evaluatedRows = rows.count
            if !rows.isEmpty {
                let reference = try MonitorStore.referenceSpread(db, series: work.name) ?? 0
                let earlier = try work.signalsEvaluated.map { try MonitorStore.rows(db, series: work.name, through: $0, last: WarningRule.trendRecords) } ?? []
                var recent = earlier.compactMap { MonitorEvaluator.signals($0, referenceSpread: reference) }
                for row in rows {
                    last = row.step
                    guard let signals = MonitorEvaluator.signals(row, referenceSpread: reference) else { continue }
                    recent.append(signals)
                    if recent.count > WarningRule.trendRecords + 1 { recent.removeFirst() }
                    guard warning == nil, !work.announced, let fired = WarningRule.check(recent, margin: work.margin) else { continue }
                    warning = try signalsWarning(work, fired)
                }
            }
            try MonitorStore.evaluated(db, series: work.name, risk: risk, signalsThrough: last)
            if let warning {
                let step = warning["step"].flatMap { if case .number(let v) = $0 { Int(v) } else { nil } } ?? 0
                try MonitorStore.recordWarning(db, series: work.name, step: step, data: warning)
                logger.notice("event recorded", metadata: ["type": "collapse.warning", "series": "\(work.name)", "step": "\(step)"])
            }
            let riskOutcome: String? = risk.map { $0["error"] == nil ? "computed" : "error" }
            let source: String? = if case .string(let s)? = warning?["source"] { s } else { nil }
            WorkerMetrics.monitorEvaluated(rows: evaluatedRows, risk: riskOutcome, warning: source, seconds: Date().timeIntervalSince(started))
            return Outcome(series: work.name, warned: warning != nil)
        }
    }

    /// The step-0 risk of the monitor's batches as stored JSON, and the estimate when it could be computed.
    func stepZeroRisk(_ work: MonitorWork) -> (JSONValue, CollapseRiskEstimate?) {
        do {
            let features = try MonitorEvaluator.features(work, db: db, iterations: riskIterations)
            // A monitor started without `miner` is batch-hard's: its signals are batch-hard statistics.
            let miner: String = if case .string(let m)? = work.monitor["miner"] { m } else { Miner.batchHard.rawValue }
            let estimate = RiskModel.calibrated(for: features).estimate(features, miner: miner)
            return (try JSONValue.from(estimate), estimate)
        } catch {
            logger.warning("step-0 risk not computed", metadata: ["series": "\(work.name)", "error": "\(error)"])
            return (.object(["error": .string("\(error)")]), nil)
        }
    }

    /// The step-0 features of the monitor's batches, with the settings it was started with.
    static func features(_ work: MonitorWork, db: PGConnection, iterations: Int) throws -> StepZeroFeatures {
        func number(_ key: String) -> Double? { if case .number(let v)? = work.monitor[key] { v } else { nil } }
        guard let lr = number("learning_rate") else {
            throw MonitorInputError("the monitor was started without learning_rate; the step-0 risk needs it (pass learning_rate= to Monitor)")
        }
        guard let embeddingsSHA = work.riskEmbeddings, let labelsSHA = work.riskLabels else {
            throw MonitorInputError("the monitor sent no step-0 batches")
        }
        // Read as a job reads its stored inputs: a missing or oversized input is named.
        let batches = try MonitorBatches.read(monitor: work.monitor, embeddings: embeddingsSHA, labels: labelsSHA,
                                              inputs: DatabaseInputs(db.connector), name: work.name).map { (points: $0.points, labels: $0.labels) }
        guard let first = batches.first else { throw MonitorInputError("the monitor sent no step-0 batches") }
        let loss = TripletLossConfig(kind: .hinge, margin: work.margin, distance: .euclidean)
        let optimizer: String = if case .string(let o)? = work.monitor["optimizer"] { o } else { "unknown" }
        return try StepZeroFeatures(batches: batches, loss: loss, embeddingDim: first.points.cols, learningRate: lr,
                                    optimizer: optimizer, iterations: iterations)
    }

    /// A stored row as the trainer's signals, its spread read against the series' first row; nil when a
    /// field the rule reads is missing (submit_signals refuses such rows: defensive only).
    static func signals(_ row: SignalRow, referenceSpread: Double) -> StepSignals? {
        func value(_ key: String) -> Double? { if case .number(let v)? = row.signals[key] { v } else { nil } }
        guard let loss = value("loss"), let active = value("active_fraction"), let pos = value("mean_positive"),
              let neg = value("mean_negative"), let gap = value("gap"), let spread = value("batch_spread") else { return nil }
        return StepSignals(step: row.step, loss: loss, lossRatio: value("loss_ratio") ?? 0, activeFraction: active,
                           meanPositive: pos, meanNegative: neg, gap: gap, batchSpread: spread,
                           batchSpreadRatio: referenceSpread > 0 ? spread / referenceSpread : 0,
                           outputNorm: value("output_norm") ?? 0, effectiveRank: value("effective_rank") ?? 0)
    }

    func links(_ series: String) -> [String: JSONValue] {
        var links: [String: JSONValue] = ["series": .string(series)]
        if let reports { links["report_url"] = .string(reports.seriesURL(series)) }
        return links
    }

    func riskWarning(_ work: MonitorWork, _ estimate: CollapseRiskEstimate) throws -> JSONValue {
        let step = work.riskStep ?? 0
        var data = links(work.name)
        data["step"] = .number(Double(step))
        data["source"] = .string("risk")
        data["reasons"] = try JSONValue.from(estimate.warningReasons)
        data["risk"] = .object(["risk": .number(estimate.risk), "threshold": .number(estimate.threshold)])
        return .object(data)
    }

    /// A train run's collapse.warning data (step, reasons, signals, report link) for the series.
    func signalsWarning(_ work: MonitorWork, _ warning: CollapseWarning) throws -> JSONValue {
        guard case .object(var data) = try CollapseEventData.warning(warning, reportURL: reports?.seriesURL(work.name)) else { return .null }
        data["series"] = .string(work.name)
        data["source"] = .string("signals")
        return .object(data)
    }

    /// The series' page, at most every `pageEverySeconds` (at once when it warned); logged, never fatal.
    func publishPage(_ series: String, now: Bool) {
        guard let reports else { return }
        if !now, let last = lastPage[series], Date().timeIntervalSince(last) < pageEverySeconds { return }
        lastPage[series] = Date()
        do { try reports.publishSeries(db, name: series) } catch {
            logger.warning("series page not written", metadata: ["series": "\(series)", "error": "\(error)"])
        }
    }
}

/// Runs `MonitorEvaluator` on threads of its own (beside the job threads: a monitor's warning never
/// waits for a job), woken by `isomine.submit_signals`' notification and polling every 0.25 s: one
/// computes step-0 risks, one reads signal rows, so one series' f* search never holds up another
/// series' rows.
public final class MonitorEvaluatorThread: Sendable {
    private let stopping = Atomic<Bool>(false)
    private let finished = Atomic<Int>(0)
    private static let parts: [MonitorStore.Part] = [.risk, .signals]
    private let logger: Logger
    private let reports: ReportPublisher?
    private let queues: [String]
    private let shuttingDown: @Sendable () -> Bool

    /// Evaluates the monitored series of `queues` (a monitor's `queue` setting; the worker's `--queues`).
    public init(queues: [String], reports: ReportPublisher?, logger: Logger, shuttingDown: @escaping @Sendable () -> Bool) {
        self.queues = queues
        self.reports = reports
        self.logger = logger
        self.shuttingDown = shuttingDown
    }

    public func start(connect: @escaping @Sendable () throws -> PGConnection) {
        for part in MonitorEvaluatorThread.parts { start(part, connect: connect) }
    }

    private func start(_ part: MonitorStore.Part, connect: @escaping @Sendable () throws -> PGConnection) {
        Thread { [self] in
            let stop = { self.shuttingDown() || self.stopping.load(ordering: .acquiring) }
            var delay = 0.1
            while !stop() {
                do {
                    let db = try connect()
                    try db.listen(Channel.signals)
                    let evaluator = MonitorEvaluator(db: db, queues: queues, part: part, reports: reports, logger: logger)
                    delay = 0.1
                    while !stop() {
                        if try evaluator.evaluateDue(unless: stop) == 0 { _ = try db.notifications(timeout: 0.25) }
                    }
                } catch {
                    logger.warning("monitor evaluator error; reconnecting", metadata: ["error": "\(error)"])
                    PGSession.wait(delay, unless: stop)
                    delay = min(delay * 2, 10)
                }
            }
            finished.add(1, ordering: .releasing)
        }.start()
    }

    /// Asks the threads to stop after the series they are evaluating, without waiting.
    public func requestStop() { stopping.store(true, ordering: .releasing) }

    /// Asks the threads to stop after the series they are evaluating, and waits for them (at most `seconds`).
    @discardableResult
    public func stopAndJoin(seconds: Double = 30) -> Bool {
        stopping.store(true, ordering: .releasing)
        let deadline = Date().addingTimeInterval(seconds)
        let all = MonitorEvaluatorThread.parts.count
        while finished.load(ordering: .acquiring) < all && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        return finished.load(ordering: .acquiring) == all
    }
}
