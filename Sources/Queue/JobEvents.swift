// Every statement that records a job event isomine announces itself (collapse.warning, collapse.detected,
// report.ready and the lifecycle events recorded from Swift), and the data each carries. What happens
// when — pages first, warning before detected — is decided by the worker's JobFollowUp; the webhook
// outbox rows are made by the trigger on isomine.job_events, in the same transaction.
import CollapseSignals
import Foundation
import Jobs
import Postgres
import Trainer
import Vocabulary

/// A job's lease as this process holds it: every fenced write names it.
public struct JobLease: Sendable, Equatable {
    public let jobID: Int
    public let owner: String
    public let attempt: Int

    public init(jobID: Int, owner: String, attempt: Int) {
        self.jobID = jobID
        self.owner = owner
        self.attempt = attempt
    }

    public init(_ job: ClaimedJob, owner: String) { self.init(jobID: job.id, owner: owner, attempt: job.attempt) }

    /// `WITH lease AS (…)`: the job's row while this lease holds, locked FOR SHARE so a rescue or a
    /// cancellation waits for the write (or the write finds no row). Statements append to it.
    public var cte: PGQuery {
        """
        WITH lease AS (
            SELECT id FROM isomine.jobs
             WHERE id = \(jobID) AND state = 'running' AND lease_owner = \(owner) AND attempt = \(attempt)
               FOR SHARE)

        """
    }

    /// Runs `statement` (which reads the CTE `lease`) only while this lease holds; throws `LeaseLost`
    /// when it touched no row. Every fenced write goes through here.
    public func execute(_ db: PGConnection, _ statement: PGQuery) throws {
        if try db.execute(cte + statement).affected == 0 { throw LeaseLost(jobID: jobID) }
    }
}

/// Thrown when a write finds that this process no longer holds the job's lease (rescued, cancelled,
/// finished elsewhere): the job must stop without writing anything more.
public struct LeaseLost: Error, CustomStringConvertible {
    public let jobID: Int
    public var description: String { "job \(jobID): this worker no longer holds its lease" }
}

/// Recording job events.
public enum JobEvents {
    /// Records an event for a job.
    public static func record(_ db: PGConnection, _ jobID: Int, _ type: JobEventType, _ data: JSONValue = .object([:])) throws {
        try db.execute("INSERT INTO isomine.job_events (job_id, type, data) VALUES (\(jobID), \(type.rawValue), \(try json(data)))")
    }

    /// Records an event only while `lease` holds; throws `LeaseLost` otherwise.
    public static func record(_ db: PGConnection, fencedBy lease: JobLease, _ type: JobEventType, _ data: JSONValue) throws {
        try lease.execute(db, """
            INSERT INTO isomine.job_events (job_id, type, data) SELECT id, \(type.rawValue), \(try json(data)) FROM lease
            """)
    }

    /// Whether any of `types` was recorded for the job (each announcement happens once per job, across resumes).
    public static func recorded(_ db: PGConnection, _ jobID: Int, _ types: [JobEventType]) throws -> Bool {
        try !db.execute("""
            SELECT 1 FROM isomine.job_events WHERE job_id = \(jobID) AND type IN (SELECT jsonb_array_elements_text(\(try PGJSON(encoding: types.map(\.rawValue)))))
             LIMIT 1
            """).isEmpty
    }

    static func json(_ value: JSONValue) throws -> PGJSON { PGJSON(text: try value.compactText()) }
}

/// What a job may still have to announce once it has ended, read in one query.
public enum EndedJob: Sendable {
    /// A step of this series: the series page, then its warning and collapse.
    case seriesStep(series: String)
    /// An analysis outside any series that collapsed and has no collapse.detected yet: its result.
    case collapsedAnalysis(JSONValue)
    case nothing

    public static func read(_ db: PGConnection, id: Int) throws -> EndedJob {
        struct Row: Decodable { let series: String?, collapsed_result: JSONValue? }
        guard let row = try db.execute("""
            SELECT series,
                   CASE WHEN kind = 'analyze' AND series IS NULL AND state = 'succeeded' AND result->>'verdict' = 'collapsed'
                             AND NOT EXISTS (SELECT 1 FROM isomine.job_events e WHERE e.job_id = j.id AND e.type = 'collapse.detected')
                        THEN result END AS collapsed_result
              FROM isomine.jobs j WHERE id = \(id)
            """).decodeOne(Row.self) else { return .nothing }
        if let series = row.series { return .seriesStep(series: series) }
        if let result = row.collapsed_result { return .collapsedAnalysis(result) }
        return .nothing
    }
}

/// A series' once-only announcements: collapse.warning for its first step that warned before any
/// collapsed, collapse.detected for its first collapsed step after the baseline. Each is one
/// transaction holding the series row, so two workers ending steps at once announce it once.
public enum SeriesAnnouncement: Sendable, CaseIterable {
    case warning, collapse

    var eventType: JobEventType { self == .warning ? .collapseWarning : .collapseDetected }

    /// The step to announce, if any: the series row locked, whether either announcement is already
    /// made (a warning is news only before the collapse), and the candidate step.
    func candidate(_ series: String) -> PGQuery {
        switch self {
        case .warning:
            return """
                SELECT s.warning_step IS NOT NULL OR s.collapse_step IS NOT NULL AS announced, w.id, w.series_step AS step, w.result
                  FROM isomine.series s
                  JOIN LATERAL (SELECT id, series_step, result FROM isomine.jobs
                                 WHERE series = s.name AND state = 'succeeded' AND result ? 'warning'
                                 ORDER BY series_step LIMIT 1) w ON true
                 WHERE s.name = \(series)
                   AND NOT EXISTS (SELECT 1 FROM isomine.jobs c WHERE c.series = s.name AND c.state = 'succeeded'
                                      AND c.result->>'verdict' = 'collapsed' AND c.series_step <= w.series_step)
                   FOR UPDATE OF s
                """
        case .collapse:
            // A step before a named later baseline is not the run's collapse. The baseline itself counts:
            // judged as an untrained network it never reads collapsed, and judged as a trained one (its
            // monitor recorded training before it) a collapse there is the run's.
            return """
                SELECT s.collapse_step IS NOT NULL AS announced, j.id, j.series_step AS step, j.result
                  FROM isomine.series s
                  JOIN LATERAL (SELECT id, series_step, result FROM isomine.jobs
                                 WHERE series = s.name AND state = 'succeeded' AND result->>'verdict' = 'collapsed'
                                   AND series_step >= s.baseline_step
                                 ORDER BY series_step LIMIT 1) j ON true
                 WHERE s.name = \(series) FOR UPDATE OF s
                """
        }
    }

    /// Records the announcement if it is due; returns the job id it was recorded for. `data` builds the
    /// event's data from the step's job, the step and its result.
    public func announce(_ db: PGConnection, series: String, data: (_ jobID: Int, _ step: Int, _ result: JSONValue) -> JSONValue) throws -> Int? {
        struct Row: Decodable { let announced: Bool, id: Int, step: Int, result: JSONValue }
        return try db.transaction {
            guard let row = try db.execute(candidate(series)).decodeOne(Row.self), !row.announced else { return nil }
            let recordOnSeries: PGQuery = self == .warning
                ? "UPDATE isomine.series SET warning_step = \(row.step), warning_job_id = \(row.id) WHERE name = \(series)"
                : "UPDATE isomine.series SET collapse_step = \(row.step), collapse_job_id = \(row.id) WHERE name = \(series)"
            try db.execute(recordOnSeries)
            try JobEvents.record(db, row.id, eventType, data(row.id, row.step, row.result))
            return row.id
        }
    }
}

/// The data each collapse event carries: the step, the verdict and the signals behind it, and links.
public enum CollapseEventData {
    /// collapse.detected for a train run's evaluation.
    public static func detected(_ record: EvaluationRecord, reportURL: String?) -> JSONValue {
        var signals: [String: JSONValue] = [
            "relative_spread": .number(record.collapse.relativeSpread), "loss": .number(record.loss),
            "active_fraction": .number(record.activeFraction), "loss_at_margin": .bool(record.collapse.lossAtMargin),
            "failures": .array(record.diagnosis.failures.map { .string($0.rawValue) }),
            "spread_over_margin": .number(record.diagnosis.evidence.spreadOverMargin), "kappa": .number(record.diagnosis.evidence.kappa),
            "reasons": .array(record.diagnosis.reasons.filter { $0.level > .healthy }.map {
                .object(["code": .string($0.code.rawValue), "level": .string($0.level.rawValue), "message": .string($0.message)])
            }),
        ]
        if let e = record.estimators {
            if let ratio = e.collapse.meanRatio { signals["mean_ratio"] = .number(ratio) }
            signals["near_duplicate_fraction"] = .number(e.collapse.nearDuplicateFraction)
            signals["effective_rank"] = .number(e.collapse.effectiveRank)
            signals["l_hard"] = .number(e.lHard)
            signals["d_iso"] = .object(["lower": .number(e.dIso.lower), "upper": .number(e.dIso.upper)])
            signals["f_star_contraction"] = .number(e.fStar.contraction)
        }
        var data: [String: JSONValue] = ["step": .number(Double(record.step)), "verdict": .string("collapsed"),
                                         "headline": .string(record.diagnosis.headline), "signals": .object(signals)]
        if let reportURL { data["report_url"] = .string(reportURL) }
        return .object(data)
    }

    /// collapse.warning for a train run; `on_warning` (with its `summary`, which event_summary appends)
    /// when the run acted on it or stopped.
    public static func warning(_ warning: CollapseWarning, onWarning: WarningIntervention? = nil, reportURL: String?) throws -> JSONValue {
        var data: [String: JSONValue] = [
            "step": .number(Double(warning.step)),
            "reasons": .array(warning.reasons.map { .object(["code": .string($0.code), "message": .string($0.message)]) }),
            "signals": try JSONValue.from(warning.signals),
        ]
        if let onWarning, case .object(var record) = try JSONValue.from(onWarning) {
            record["summary"] = .string(onWarning.summary)
            data["on_warning"] = .object(record)
        }
        if let reportURL { data["report_url"] = .string(reportURL) }
        return .object(data)
    }

    /// `data` with the links that are known (a nil link is left out).
    static func linked(_ data: [String: JSONValue], _ links: [String: String?]) -> JSONValue {
        .object(data.merging(links.compactMapValues { $0.map(JSONValue.string) }, uniquingKeysWith: { _, link in link }))
    }

    /// collapse.detected for an analysis (outside a series, or a series step), from its stored result.
    public static func detected(analysis result: JSONValue, step: Int, links: [String: String?]) -> JSONValue {
        var signals: [String: JSONValue] = [:]
        let final = result["final"]
        if let v = final?["eval"]?["precision_at_1"] { signals["precision_at_1"] = v }
        if let v = final?["estimators"]?["collapse"]?["mean_ratio"] { signals["relative_spread"] = v }
        if let v = final?["diagnosis"]?["evidence"]?["spread_over_margin"] { signals["spread_over_margin"] = v }
        if let v = final?["estimators"]?["l_hard"] { signals["l_hard"] = v }
        if let v = final?["estimators"]?["d_iso"] { signals["d_iso"] = v }
        if case .array(let reasons)? = final?["diagnosis"]?["reasons"] {
            signals["reasons"] = .array(reasons.filter { $0["level"] != .string("healthy") })
        }
        var data: [String: JSONValue] = ["step": .number(Double(step)), "verdict": .string("collapsed"), "signals": .object(signals)]
        if let headline = final?["diagnosis"]?["headline"] { data["headline"] = headline }
        return linked(data, links)
    }

    /// collapse.warning for a series step, from its stored result.
    public static func warning(analysis result: JSONValue, step: Int, links: [String: String?]) -> JSONValue {
        let warning = result["warning"]
        var data: [String: JSONValue] = ["step": .number(Double(step)),
                                         "reasons": warning?["reasons"] ?? .array([]), "signals": warning?["signals"] ?? .object([:])]
        if let p1 = result["final"]?["eval"]?["precision_at_1"] { data["precision_at_1"] = p1 }
        return linked(data, links)
    }
}
