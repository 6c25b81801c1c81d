// Operators' statements: pruning ended jobs, and the queue's status at a glance.
import Vocabulary
import Postgres
import Foundation
import Jobs

/// Removing ended jobs with everything they own.
public enum Pruning {
    /// The states `prune` may remove (never queued or running).
    public static let endedStates = JobState.ended.map(\.rawValue)

    /// Deletes jobs in `states` that ended before `olderThan` seconds ago — with their events, metrics,
    /// checkpoints, artifacts, report rows (cascades) and their delivered or dead webhook deliveries — in
    /// batches of `batch` (each its own transaction, so a large prune never holds long locks). What an
    /// unfinished parent still needs is kept: a sweep while any of its runs is queued or running, every
    /// run of a sweep that has not ended (its aggregation reads them), and every step of a series while
    /// any step of it is queued or running (later steps read the baseline step). Returns how many jobs
    /// were removed.
    @discardableResult
    public static func prune(_ db: PGConnection, olderThan seconds: Double, states: [String] = endedStates, batch: Int = 1000) throws -> Int {
        for s in states where !endedStates.contains(s) {
            throw QueueError("prune: '\(s)' is not an ended state; expected some of \(endedStates.joined(separator: ", "))")
        }
        let list = try PGJSON(encoding: states)
        var total = 0
        while true {
            let n = try db.transaction {
                try db.execute("""
                    WITH doomed AS (
                        SELECT j.id FROM isomine.jobs j
                         WHERE j.state IN (SELECT jsonb_array_elements_text(\(list)))
                           AND j.finished_at < now() - make_interval(secs => \(seconds))
                           AND NOT EXISTS (SELECT 1 FROM isomine.jobs c WHERE c.parent_id = j.id AND c.state IN ('queued', 'running'))
                           AND NOT EXISTS (SELECT 1 FROM isomine.jobs p WHERE p.id = j.parent_id AND p.state IN ('queued', 'running'))
                           AND (j.series IS NULL OR NOT EXISTS (SELECT 1 FROM isomine.jobs s WHERE s.series = j.series AND s.state IN ('queued', 'running')))
                         ORDER BY j.id LIMIT \(batch)
                           FOR UPDATE SKIP LOCKED),
                    deliveries AS (
                        DELETE FROM isomine.webhook_deliveries d USING doomed
                         WHERE d.job_id = doomed.id AND d.state IN ('delivered', 'dead'))
                    DELETE FROM isomine.jobs j USING doomed WHERE j.id = doomed.id
                    """).affected
            }
            total += n
            if n < batch { break }
        }
        try pruneInputs(db, olderThan: seconds)
        return total
    }

    /// Deletes series whose last activity (created, a monitor's signal row received, a step that ended)
    /// was more than `olderThan` seconds ago and that have no step queued or running: each series with
    /// its signal rows and its own events (cascades), its steps' jobs with everything a job owns and
    /// their delivered or dead webhook deliveries, then the stored inputs no longer named (a monitor's
    /// step-0 batches, the steps' checkpoints). `batch` series per transaction. Returns how many series
    /// were removed.
    @discardableResult
    public static func pruneSeries(_ db: PGConnection, olderThan seconds: Double, batch: Int = 100) throws -> Int {
        var total = 0
        while true {
            // Separate statements in one transaction: deleting the steps' jobs sets series.collapse_job_id
            // to NULL (a foreign key), which one statement that also deletes the series row could not do.
            let n = try db.transaction { () -> Int in
                let names = try db.execute("""
                    SELECT s.name FROM isomine.series s
                     WHERE greatest(s.created_at,
                                    (SELECT max(g.received_at) FROM isomine.series_signals g WHERE g.series = s.name),
                                    (SELECT max(coalesce(j.finished_at, j.created_at)) FROM isomine.jobs j WHERE j.series = s.name))
                           < now() - make_interval(secs => \(seconds))
                       AND NOT EXISTS (SELECT 1 FROM isomine.jobs j WHERE j.series = s.name AND j.state IN ('queued', 'running'))
                     ORDER BY s.name LIMIT \(batch)
                       FOR UPDATE SKIP LOCKED
                    """).column("name", as: String.self)
                guard !names.isEmpty else { return 0 }
                let list = try PGJSON(encoding: names)
                try db.execute("""
                    DELETE FROM isomine.webhook_deliveries d USING isomine.jobs j
                     WHERE d.job_id = j.id AND d.state IN ('delivered', 'dead')
                       AND j.series IN (SELECT jsonb_array_elements_text(\(list)))
                    """)
                try db.execute("DELETE FROM isomine.jobs j WHERE j.series IN (SELECT jsonb_array_elements_text(\(list)))")
                try db.execute("DELETE FROM isomine.series s WHERE s.name IN (SELECT jsonb_array_elements_text(\(list)))")
                return names.count
            }
            total += n
            if n < batch { break }
        }
        try pruneInputs(db, olderThan: seconds)
        return total
    }

    /// Deletes stored inputs older than the cutoff that no job names any more (a job's dataset, or a
    /// sweep base's) and no series keeps as its monitor's step-0 batches; an input still named is never
    /// deleted. Returns how many were deleted.
    @discardableResult
    public static func pruneInputs(_ db: PGConnection, olderThan seconds: Double) throws -> Int {
        try db.execute("""
            DELETE FROM isomine.inputs i
             WHERE i.created_at < now() - make_interval(secs => \(seconds))
               AND NOT EXISTS (
                   SELECT 1 FROM isomine.jobs j, LATERAL (VALUES (j.spec->'dataset'), (j.spec->'base'->'dataset')) AS d(dataset)
                    WHERE i.sha256 IN (d.dataset->>'features', d.dataset->>'labels', d.dataset->>'input'))
               AND NOT EXISTS (SELECT 1 FROM isomine.series s WHERE i.sha256 IN (s.risk_embeddings, s.risk_labels))
            """).affected
    }

    /// Parses 30d, 12h, 90m, 45s or 2w into seconds (nil when malformed or not positive).
    public static func seconds(_ text: String) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard let unit = t.last, let value = Double(t.dropLast()), value > 0, value.isFinite else { return nil }
        switch unit {
        case "s": return value
        case "m": return value * 60
        case "h": return value * 3600
        case "d": return value * 86_400
        case "w": return value * 604_800
        default: return nil
        }
    }
}

/// Live workers: each worker process registers itself and refreshes `last_seen` on its rescuer's interval.
public enum WorkerRegistry {
    /// Seconds after which a worker that stopped refreshing is not listed as live.
    public static let liveSeconds = 60

    public static func register(_ db: PGConnection, id: String, host: String, pid: Int32, queues: [String], concurrency: Int) throws {
        let list = try PGJSON(encoding: queues)
        try db.execute("""
            INSERT INTO isomine.workers (id, host, pid, queues, concurrency)
            VALUES (\(id), \(host), \(pid), ARRAY(SELECT jsonb_array_elements_text(\(list))), \(concurrency))
            ON CONFLICT (id) DO UPDATE SET last_seen = now(), queues = excluded.queues, concurrency = excluded.concurrency
            """)
    }

    public static func deregister(_ db: PGConnection, id: String) throws {
        try db.execute("DELETE FROM isomine.workers WHERE id = \(id)")
    }
}
