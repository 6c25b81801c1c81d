// The worker's sink: evaluations as metric rows (upserted), checkpoints as one row per job; every write
// fenced by the job's lease.
import Postgres
import Foundation
import Jobs
import Trainer

/// Thrown when a write finds that this process no longer holds the job's lease (rescued, cancelled,
/// finished elsewhere): the job must stop without writing anything more.
public struct LeaseLost: Error, CustomStringConvertible {
    public let jobID: Int
    public var description: String { "job \(jobID): this worker no longer holds its lease" }
}

/// Writes a running job's metrics and checkpoints to PostgreSQL; the result is written on success.
///
/// Every statement carries the lease (job id, owner, attempt) and locks the job row FOR SHARE while it
/// writes, so a copy whose lease was rescued — or a job that was cancelled — can never write: the
/// rescue's UPDATE either commits first (the write then finds no row and throws `LeaseLost`) or waits
/// for the write's statement to commit.
public final class StoreSink: ResultSink {
    let db: PGConnection
    let jobID: Int
    let owner: String
    let attempt: Int
    public private(set) var result: JobResult?

    /// The report's public URL, sent with collapse.detected.
    let reportURL: String?
    private var collapseAnnounced = false

    /// Called after each evaluation with the evaluations so far and the warning, if one fired (the
    /// worker's per-evaluation report).
    let onEvaluation: (([JSONValue], JSONValue?) -> Void)?
    /// Called with the same just before collapse.warning or collapse.detected is recorded: the worker
    /// writes the run's page there, so the link the event carries resolves, and shows the warning, when
    /// it is sent.
    let beforeCollapse: (([JSONValue], JSONValue?) -> Void)?
    private var history: [JSONValue] = []
    private var warning: JSONValue?

    public init(db: PGConnection, job: ClaimedJob, owner: String, reportURL: String? = nil, onEvaluation: (([JSONValue], JSONValue?) -> Void)? = nil,
                beforeCollapse: (([JSONValue], JSONValue?) -> Void)? = nil) {
        self.beforeCollapse = beforeCollapse
        self.db = db
        self.jobID = job.id
        self.owner = owner
        self.attempt = job.attempt
        self.reportURL = reportURL
        self.onEvaluation = onEvaluation
    }

    /// Records collapse.detected the first time a run's verdict is collapsed (once per job, across resumes).
    func announceCollapse(_ record: EvaluationRecord) throws {
        guard record.verdict == .collapsed, !collapseAnnounced else { return }
        collapseAnnounced = true
        if try db.execute("SELECT 1 FROM isomine.job_events WHERE job_id = \(jobID) AND type = 'collapse.detected'").count > 0 {
            return
        }
        var signals: [String: JSONValue] = [
            "relative_spread": .number(record.collapse.relativeSpread), "loss": .number(record.loss),
            "active_fraction": .number(record.activeFraction), "loss_at_margin": .bool(record.collapse.lossAtMargin),
            "failures": .array(record.diagnosis.failures.map { .string($0.rawValue) }),
            "spread_over_margin": .number(record.diagnosis.evidence.spreadOverMargin), "kappa": .number(record.diagnosis.evidence.kappa),
            "reasons": .array(record.diagnosis.reasons.filter { $0.level > .healthy }.map {
                .object(["code": .string($0.code), "level": .string($0.level.rawValue), "message": .string($0.message)])
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
        try fenced("""
            INSERT INTO isomine.job_events (job_id, type, data) SELECT id, 'collapse.detected', \(PGJSON(text: try JSONValue.object(data).compactText())) FROM lease
            """)
    }

    /// The lease CTE every write starts with: the job's row while this process holds its lease.
    var lease: PGQuery {
        """
        WITH lease AS (
            SELECT id FROM isomine.jobs
             WHERE id = \(jobID) AND state = 'running' AND lease_owner = \(owner) AND attempt = \(attempt)
               FOR SHARE)

        """
    }

    /// Runs `statement` (which reads the CTE `lease`) only while this process holds the lease; throws
    /// `LeaseLost` when the statement touched no row.
    func fenced(_ statement: PGQuery) throws {
        if try db.execute(lease + statement).affected == 0 { throw LeaseLost(jobID: jobID) }
    }

    public func latestCheckpoint() throws -> TrainingCheckpoint? {
        let rows = try db.execute("SELECT data FROM isomine.checkpoints WHERE job_id = \(jobID)")
        guard let data = try rows.first("data", as: PGBytes.self) else { return nil }
        return try TrainingCheckpoint(decoding: data.bytes)
    }

    /// Saves the checkpoint; one older than the stored one is never written over it (a checkpoint
    /// never goes backwards), which is not an error.
    public func saveCheckpoint(_ checkpoint: TrainingCheckpoint) throws {
        let data = PGBytes(try checkpoint.encoded())
        let rows = try db.execute(lease + """
            , saved AS (
                INSERT INTO isomine.checkpoints (job_id, step, data) SELECT id, \(checkpoint.step), \(data) FROM lease
                ON CONFLICT (job_id) DO UPDATE SET step = excluded.step, data = excluded.data, created_at = now()
                 WHERE isomine.checkpoints.step <= excluded.step
                RETURNING job_id)
            SELECT (SELECT count(*) FROM lease) AS held, (SELECT count(*) FROM saved) AS saved
            """)
        if try rows.int(0, "held") != 1 { throw LeaseLost(jobID: jobID) }
    }

    /// One row per metric, keyed (job, name, step) with upsert, so a retried or resumed job does not duplicate.
    public func recordEvaluation(_ record: EvaluationRecord) throws {
        if onEvaluation != nil || beforeCollapse != nil, let json = try? JSONValue.from(record) { history.append(json) }
        if record.verdict == .collapsed, !collapseAnnounced { beforeCollapse?(history, warning) }
        try announceCollapse(record)
        defer { onEvaluation?(history, warning) }
        var values: [(String, Double)] = [
            ("loss", record.loss), ("active_fraction", record.activeFraction),
            ("precision_at_1", record.eval.precisionAt1), ("r_precision", record.eval.rPrecision), ("map_at_r", record.eval.mapAtR),
            ("relative_spread", record.collapse.relativeSpread),
        ]
        if let e = record.estimators {
            values += [("l_hard", e.lHard), ("d_iso_lower", e.dIso.lower), ("d_iso_upper", e.dIso.upper),
                       ("d_haus_lower", e.dHaus.lower), ("d_haus_upper", e.dHaus.upper)]
        }
        try writeMetrics(values, step: record.step)
    }

    /// Records collapse.warning once per job (across resumes), after the run's page is written; not
    /// after collapse.detected (a warning is news only before the collapse, so subscribers always get
    /// the warning first or not at all; the result still records it).
    public func recordWarning(_ warning: CollapseWarning) throws {
        guard !collapseAnnounced else { return }
        let announced = try db.execute("""
            SELECT 1 FROM isomine.job_events WHERE job_id = \(jobID) AND type IN ('collapse.warning', 'collapse.detected')
            """)
        if announced.count > 0 { return }
        self.warning = try JSONValue.from(warning)
        beforeCollapse?(history, self.warning)
        var data: [String: JSONValue] = [
            "step": .number(Double(warning.step)),
            "reasons": .array(warning.reasons.map { .object(["code": .string($0.code), "message": .string($0.message)]) }),
            "signals": try JSONValue.from(warning.signals),
        ]
        if let reportURL { data["report_url"] = .string(reportURL) }
        try fenced("""
            INSERT INTO isomine.job_events (job_id, type, data) SELECT id, 'collapse.warning', \(PGJSON(text: try JSONValue.object(data).compactText())) FROM lease
            """)
    }

    /// The per-step signals as metric rows `signal_*` at their step.
    public func recordSignals(_ signals: StepSignals) throws {
        try writeMetrics(signals.metricRows, step: signals.step)
    }

    /// Upserts one metric row per finite value at `step`, fenced by the lease.
    func writeMetrics(_ values: [(String, Double)], step: Int) throws {
        for (name, value) in values where value.isFinite {
            try fenced("""
                INSERT INTO isomine.metrics (job_id, name, step, value) SELECT id, \(name), \(step), \(value) FROM lease
                ON CONFLICT (job_id, name, step) DO UPDATE SET value = excluded.value
                """)
        }
    }

    /// Records the job's phase and fraction on its row, at most once a second (and at every change of
    /// phase), fenced by the lease; a lost lease is noticed by the next fenced write.
    public func recordProgress(phase: String, fraction: Double?) {
        let now = Date()
        guard phase != lastPhase || now.timeIntervalSince(lastProgress) >= 1 else { return }
        lastPhase = phase
        lastProgress = now
        _ = try? db.execute(lease + """
            UPDATE isomine.jobs j SET phase = \(phase), phase_fraction = \(fraction.map { min(max($0, 0), 1) }) FROM lease WHERE j.id = lease.id
            """)
    }

    private var lastPhase: String?
    private var lastProgress = Date.distantPast

    /// Keeps the result (the worker writes it with the job's end); an analysis also writes its figures as
    /// metric rows, at its series step (0 outside a series), so a series reads like a train run's evaluations.
    public func finish(_ result: JobResult) throws {
        self.result = result
        guard case .analyze(let a) = result else { return }
        let e = a.final.estimators
        var values: [(String, Double)] = [
            ("precision_at_1", a.final.eval.precisionAt1), ("r_precision", a.final.eval.rPrecision), ("map_at_r", a.final.eval.mapAtR),
            ("l_hard", e.lHard), ("d_iso_lower", e.dIso.lower), ("d_iso_upper", e.dIso.upper),
            ("d_haus_lower", e.dHaus.lower), ("d_haus_upper", e.dHaus.upper), ("effective_rank", e.collapse.effectiveRank),
            ("near_duplicate_fraction", e.collapse.nearDuplicateFraction),
            ("loss_batch_hard", a.final.losses.batchHard), ("loss_semi_hard", a.final.losses.semiHard),
        ]
        if let ratio = e.collapse.meanRatio { values.append(("relative_spread", ratio)) }
        try writeMetrics(values, step: a.series?.step ?? 0)
    }

    /// One `isomine.artifacts` row per name (upserted: a retried job replaces its earlier artifacts).
    public func saveArtifact(_ name: String, _ bytes: [UInt8]) throws {
        try fenced("""
            INSERT INTO isomine.artifacts (job_id, name, data) SELECT id, \(name), \(PGBytes(bytes)) FROM lease
            ON CONFLICT (job_id, name) DO UPDATE SET data = excluded.data, created_at = now()
            """)
    }
}
