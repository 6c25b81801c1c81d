// The worker's sink: evaluations as metric rows (upserted), checkpoints as one row per job; every write
// fenced by the job's lease.
import CollapseSignals
import Postgres
import Foundation
import Jobs
import Trainer
import Triplets

/// Told of a train run's evaluations and collapse warning as they are stored: the worker's JobFollowUp
/// writes the run's page and records the collapse events.
public protocol RunAnnouncer: AnyObject {
    /// An evaluation was stored (its metric rows written).
    func evaluated(_ record: EvaluationRecord) throws
    /// The run's collapse warning fired; `onWarning` is what the run did on it (nil: nothing).
    func warned(_ warning: CollapseWarning, onWarning: WarningIntervention?) throws
    /// An analysis recorded its provisional verdict.
    func provisional(_ verdict: ProvisionalVerdict) throws
}

/// Writes a running job's metrics and checkpoints to PostgreSQL; the result is written on success.
///
/// Every statement carries the lease (job id, owner, attempt) and locks the job row FOR SHARE while it
/// writes, so a copy whose lease was rescued — or a job that was cancelled — can never write: the
/// rescue's UPDATE either commits first (the write then finds no row and throws `LeaseLost`) or waits
/// for the write's statement to commit.
public final class StoreSink: ResultSink {
    let db: PGConnection
    let lease: JobLease
    public private(set) var result: JobResult?
    /// Told of each evaluation and of the warning (nil: nothing is announced).
    let announcer: RunAnnouncer?

    public init(db: PGConnection, job: ClaimedJob, owner: String, announcer: RunAnnouncer? = nil) {
        self.db = db
        self.lease = JobLease(job, owner: owner)
        self.announcer = announcer
    }

    var jobID: Int { lease.jobID }

    /// Runs `statement` (which reads the CTE `lease`) only while this process holds the lease.
    func fenced(_ statement: PGQuery) throws { try lease.execute(db, statement) }

    public func latestCheckpoint() throws -> TrainingCheckpoint? {
        let rows = try db.execute("SELECT data FROM isomine.checkpoints WHERE job_id = \(jobID)")
        guard let data = try rows.first("data", as: PGBytes.self) else { return nil }
        return try TrainingCheckpoint(decoding: data.bytes)
    }

    /// Saves the checkpoint; one older than the stored one is never written over it (a checkpoint
    /// never goes backwards), which is not an error.
    public func saveCheckpoint(_ checkpoint: TrainingCheckpoint) throws {
        let data = PGBytes(try checkpoint.encoded())
        let rows = try db.execute(lease.cte + """
            , saved AS (
                INSERT INTO isomine.checkpoints (job_id, step, data) SELECT id, \(checkpoint.step), \(data) FROM lease
                ON CONFLICT (job_id) DO UPDATE SET step = excluded.step, data = excluded.data, created_at = now()
                 WHERE isomine.checkpoints.step <= excluded.step
                RETURNING job_id)
            SELECT (SELECT count(*) FROM lease) AS held, (SELECT count(*) FROM saved) AS saved
            """)
        if try rows.int(0, "held") != 1 { throw LeaseLost(jobID: jobID) }
    }

    /// One row per metric, keyed (job, name, step) with upsert, so a retried or resumed job does not
    /// duplicate; then the announcer hears of it.
    public func recordEvaluation(_ record: EvaluationRecord) throws {
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
        try announcer?.evaluated(record)
    }

    /// The provisional verdict on the job row (with when it came), fenced by the lease; then the
    /// announcer hears of it (it rewrites the pages, never records an event).
    public func recordProvisional(_ verdict: ProvisionalVerdict) throws {
        try fenced("""
            UPDATE isomine.jobs j SET provisional = \(try PGJSON(encoding: verdict)), provisional_at = now() FROM lease WHERE j.id = lease.id
            """)
        try announcer?.provisional(verdict)
    }

    /// The run's collapse warning: the announcer records it (the result keeps it too).
    public func recordWarning(_ warning: CollapseWarning, onWarning: WarningIntervention?) throws {
        try announcer?.warned(warning, onWarning: onWarning)
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
        _ = try? db.execute(lease.cte + """
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
