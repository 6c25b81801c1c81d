// Monitored series (a user's own training loop, through isomine.start_monitor and
// isomine.submit_signals): every statement the workers use to evaluate their signal rows and step-0
// batches and to record the series' own collapse.warning.
import Foundation
import Jobs
import Postgres
import Vocabulary

/// A monitored series with something to evaluate, as claimed (its row locked until the transaction ends).
public struct MonitorWork: Sendable, Decodable {
    public var name: String
    /// The settings the monitor was started with (margin, learning_rate, classes_per_batch, ...).
    public var monitor: JSONValue
    /// Stored inputs holding the step-0 batches and their labels, and the first batch's step.
    public var riskEmbeddings: String?
    public var riskLabels: String?
    public var riskStep: Int?
    /// True when the batches are there and no risk was computed from them yet.
    public var riskPending: Bool
    /// The highest signal step already evaluated.
    public var signalsEvaluated: Int?
    /// A warning or a collapse was already announced for the series: a warning is no longer news.
    public var announced: Bool

    /// The margin α the monitor was started with, in the distances it sends (isomine.start_monitor
    /// requires it; 0 when absent, which leaves the rule's batch-distance clause out).
    public var margin: Double { if case .number(let m)? = monitor["margin"] { m } else { 0 } }

    enum CodingKeys: String, CodingKey {
        case name, monitor, announced
        case riskEmbeddings = "risk_embeddings"
        case riskLabels = "risk_labels"
        case riskStep = "risk_step"
        case riskPending = "risk_pending"
        case signalsEvaluated = "signals_evaluated"
    }
}

/// One stored signal row: its step and its fields as the monitor sent them.
public struct SignalRow: Sendable, Decodable {
    public var step: Int
    public var signals: JSONValue
}

/// Every statement about monitored series.
public enum MonitorStore {
    /// A monitored series `s` has step-0 batches and no risk computed from them yet. A monitor started
    /// without `learning_rate` has no risk to compute (its batches still tell a first checkpoint where
    /// the run started): it is never pending.
    static let riskPending: PGQuery = "(s.risk IS NULL AND s.risk_embeddings IS NOT NULL AND s.monitor->'learning_rate' IS NOT NULL)"

    /// What of a monitored series is evaluated: its step-0 risk (an f* search per batch: seconds for
    /// large batches), its signal rows (milliseconds), or whichever is due. A series' rows wait for its
    /// risk (the risk's step-0 warning comes first), never for another series' risk.
    public enum Part: Sendable { case risk, signals, either }

    /// A monitored series `s` of one of `queues` (its monitor's `queue` setting, "default" when absent)
    /// with `part` due: step-0 batches without a risk, or rows after the last evaluated step (and no
    /// risk pending).
    static func due(_ queues: [String], _ part: Part) throws -> PGQuery {
        let list = try PGJSON(encoding: queues)
        let rowsPending: PGQuery = "EXISTS (SELECT 1 FROM isomine.series_signals g WHERE g.series = s.name AND g.step > coalesce(s.signals_evaluated, -1))"
        let what: PGQuery = switch part {
        case .risk: riskPending
        case .signals: "NOT \(riskPending) AND \(rowsPending)"
        case .either: "(\(riskPending) OR \(rowsPending))"
        }
        return """
            s.monitor IS NOT NULL
            AND coalesce(s.monitor->>'queue', 'default') IN (SELECT jsonb_array_elements_text(\(list)))
            AND \(what)
            """
    }

    /// The name of the next monitored series of `queues` with unevaluated rows or batches, its row locked
    /// `FOR UPDATE SKIP LOCKED` (another worker evaluating a series skips it); call inside a transaction.
    /// Nil when none. The name alone, so that a series whose stored data cannot be read is still named.
    public static func claimName(_ db: PGConnection, queues: [String], part: Part = .either) throws -> String? {
        try db.execute("""
            SELECT s.name FROM isomine.series s
             WHERE \(try due(queues, part))
             ORDER BY s.created_at, s.name
             LIMIT 1
               FOR UPDATE OF s SKIP LOCKED
            """).first("name", as: String.self)
    }

    /// What is to be evaluated of series `series` (claimed by `claimName` in this transaction).
    public static func work(_ db: PGConnection, series: String) throws -> MonitorWork {
        guard let work = try db.execute("""
            SELECT s.name, s.monitor, s.risk_embeddings, s.risk_labels, s.risk_step, s.signals_evaluated,
                   \(riskPending) AS risk_pending,
                   (s.warning_step IS NOT NULL OR s.collapse_step IS NOT NULL) AS announced
              FROM isomine.series s
             WHERE s.name = \(series)
            """).decodeOne(MonitorWork.self) else {
            throw PGError(.decoding, "series \(series) is gone")
        }
        return work
    }

    /// Records that what is stored of series `series` cannot be read (`error` says what): its step-0 risk,
    /// when pending, becomes that error, and its rows count as evaluated through the last one stored, so
    /// the series is due again only when new rows come. Nothing stored is changed or removed.
    public static func unreadable(_ db: PGConnection, series: String, error: String) throws {
        let risk = PGJSON(text: try JSONValue.object(["error": .string("stored data of this series cannot be read: \(error)")]).compactText())
        try db.execute("""
            UPDATE isomine.series s
               SET risk = CASE WHEN \(riskPending) THEN \(risk) ELSE s.risk END,
                   signals_evaluated = greatest(s.signals_evaluated, (SELECT max(g.step) FROM isomine.series_signals g WHERE g.series = s.name))
             WHERE s.name = \(series)
            """)
    }

    /// Whether any monitored series of `queues` has something to evaluate (for a draining worker).
    public static func hasDue(_ db: PGConnection, queues: [String]) throws -> Bool {
        try !db.execute("""
            SELECT 1 FROM isomine.series s
             WHERE \(try due(queues, .either))
             LIMIT 1
            """).isEmpty
    }

    /// Signal rows of monitored series no worker has evaluated yet (a gauge: it grows while no worker runs).
    public static func pendingRows(_ db: PGConnection) throws -> Int {
        try db.execute("""
            SELECT count(*) AS n FROM isomine.series s JOIN isomine.series_signals g
                ON g.series = s.name AND g.step > coalesce(s.signals_evaluated, -1)
            """).int(0, "n") ?? 0
    }

    /// The series' signal rows after step `after` (all when nil), in step order, at most `limit`.
    public static func rows(_ db: PGConnection, series: String, after: Int?, limit: Int = 5000) throws -> [SignalRow] {
        try db.execute("""
            SELECT step, signals FROM isomine.series_signals
             WHERE series = \(series) AND step > coalesce(\(after), -1)
             ORDER BY step LIMIT \(limit)
            """).decode(SignalRow.self)
    }

    /// The last `count` rows at or before `step`, in step order: what the rule reads before a pass's new rows.
    public static func rows(_ db: PGConnection, series: String, through step: Int, last count: Int) throws -> [SignalRow] {
        try db.execute("""
            SELECT step, signals FROM (
                SELECT step, signals FROM isomine.series_signals
                 WHERE series = \(series) AND step <= \(step)
                 ORDER BY step DESC LIMIT \(count)) AS recent
             ORDER BY step
            """).decode(SignalRow.self)
    }

    /// The first row's batch spread: the reference every later row's spread is read against.
    public static func referenceSpread(_ db: PGConnection, series: String) throws -> Double? {
        try db.execute("""
            SELECT (signals->>'batch_spread')::double precision AS spread FROM isomine.series_signals
             WHERE series = \(series) ORDER BY step LIMIT 1
            """).first("spread", as: Double.self)
    }

    /// Records the evaluation of the step-0 batches (the risk, or why it could not be computed) and the
    /// last evaluated signal step.
    public static func evaluated(_ db: PGConnection, series: String, risk: JSONValue?, signalsThrough step: Int?) throws {
        let riskJSON = try risk.map { PGJSON(text: try $0.compactText()) }
        try db.execute("""
            UPDATE isomine.series SET risk = coalesce(\(riskJSON), risk),
                                      signals_evaluated = greatest(signals_evaluated, \(step))
             WHERE name = \(series)
            """)
    }

    /// Records the series' own collapse.warning (once: the caller holds the row and saw nothing announced).
    public static func recordWarning(_ db: PGConnection, series: String, step: Int, data: JSONValue) throws {
        let json = PGJSON(text: try data.compactText())
        try db.execute("UPDATE isomine.series SET warning_step = \(step), warning = \(json) WHERE name = \(series)")
        try db.execute("""
            INSERT INTO isomine.job_events (series, type, data) VALUES (\(series), \(JobEventType.collapseWarning.rawValue), \(json))
            """)
    }

    /// A monitored series as its page shows it: settings, risk, own warning and every signal row (up
    /// to `limit`, in step order); nil when the series has no monitor.
    public static func page(_ db: PGConnection, series: String, limit: Int = 100_000) throws
        -> (settings: JSONValue, risk: JSONValue?, warning: JSONValue?, rows: [SignalRow])? {
        struct Row: Decodable { let monitor: JSONValue?, risk: JSONValue?, warning: JSONValue? }
        guard let row = try db.execute("SELECT monitor, risk, warning FROM isomine.series WHERE name = \(series)").decodeOne(Row.self),
              let settings = row.monitor else { return nil }
        return (settings, row.risk, row.warning, try rows(db, series: series, after: nil, limit: limit))
    }
}
