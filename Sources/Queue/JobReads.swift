// The reads behind `jobs list`, `jobs show`, `metrics` and `report --all`: SQL stays in this module,
// the command line only formats.
import Vocabulary
import Foundation
import Postgres

/// A job as `jobs list` shows it.
public struct JobListing: Decodable, Sendable, Equatable {
    public var id: Int
    public var kind: JobKind
    public var queue: String
    public var state: JobState
    /// "attempt/max", e.g. "1/3".
    public var attempts: String
    public var priority: Int
    /// The sweep's id, or "".
    public var parent: String
    /// UTC, `YYYY-MM-DD HH:MM:SS`.
    public var created: String
    /// The verdict's headline (e.g. `collapsed (distances; ranking intact)`), or "".
    public var verdict: String
    /// A running job's phase and fraction done, or "".
    public var progress: String
    /// The spec's name and, for a series step, its series and step, or "" (`JobQueue.label`).
    public var name: String
}

/// One metric row.
public struct MetricRow: Decodable, Sendable, Equatable {
    public var step: Int
    public var name: String
    public var value: Double
}

extension JobQueue {
    /// A job's label in `jobs list` and the worker's log: its spec's name, for a series step followed by
    /// `(series NAME step N)` (or that alone when the spec has no name), else "". Over the columns of
    /// isomine.jobs.
    static let label: PGQuery = """
        coalesce((spec->>'name') || coalesce(' (series ' || series || ' step ' || series_step || ')', ''),
                 'series ' || series || ' step ' || series_step, '')
        """

    /// A job's verdict headline (the final diagnosis's, else the result's verdict), or NULL: over the
    /// columns of isomine.jobs.
    public static let verdictHeadline: PGQuery = "coalesce(result->'final'->'diagnosis'->>'headline', result->>'verdict')"

    /// Jobs newest first.
    public static func list(_ db: PGConnection, state: String?, parent: Int?, hideRuns: Bool, limit: Int) throws -> [JobListing] {
        try db.execute("""
            SELECT id, kind, queue, state, attempt || '/' || max_attempts AS attempts, priority, coalesce(parent_id::text, '') AS parent,
                   to_char(created_at, 'YYYY-MM-DD HH24:MI:SS') AS created, coalesce(\(verdictHeadline),
                            CASE WHEN state = 'running' THEN (provisional->>'headline') || ' (provisional)' END, '') AS verdict,
                   \(label) AS name,
                   CASE WHEN state = 'running' AND phase IS NOT NULL
                        THEN phase || coalesce(' ' || round(100 * phase_fraction)::integer || '%', '') ELSE '' END AS progress
              FROM isomine.jobs WHERE (\(state) IS NULL OR state = \(state)) AND (\(parent) IS NULL OR parent_id = \(parent))
               AND (NOT \(hideRuns) OR parent_id IS NULL)
             ORDER BY id DESC LIMIT \(limit)
            """).decode(JobListing.self)
    }

    /// One job as a JSON object (a sweep with the count of its runs per state), or nil.
    public static func show(_ db: PGConnection, id: Int) throws -> String? {
        let rows = try db.execute("""
            SELECT jsonb_build_object('id', id, 'kind', kind, 'queue', queue, 'state', state, 'attempt', attempt, 'max_attempts', max_attempts,
                   'priority', priority, 'run_after', run_after, 'created_at', created_at, 'started_at', started_at,
                   'finished_at', finished_at, 'last_error', last_error, 'unique_key', unique_key, 'parent_id', parent_id,
                   'phase', phase, 'phase_fraction', phase_fraction,
                   -- The provisional verdict (before the estimators), with the seconds from the start to it.
                   'provisional', provisional || jsonb_build_object('recorded_at', provisional_at,
                                      'after_seconds', round(extract(epoch FROM provisional_at - started_at)::numeric, 3)),
                   'spec', spec, 'result', result,
                   'runs', CASE WHEN kind = 'sweep' THEN (SELECT coalesce(jsonb_object_agg(state, n), '{}'::jsonb)
                                                            FROM (SELECT state, count(*) AS n FROM isomine.jobs c WHERE c.parent_id = j.id GROUP BY state) s)
                           END)::text AS job
              FROM isomine.jobs j WHERE id = \(id)
            """)
        return try rows.first("job")
    }

    /// A job's metric rows, optionally one metric.
    public static func metrics(_ db: PGConnection, id: Int, name: String?) throws -> [MetricRow] {
        try db.execute("""
            SELECT step, name, value FROM isomine.metrics WHERE job_id = \(id) AND (\(name) IS NULL OR name = \(name))
             ORDER BY step, name
            """).decode(MetricRow.self)
    }

    /// The newest `limit` job ids.
    public static func recentIDs(_ db: PGConnection, limit: Int) throws -> [Int] {
        struct Row: Decodable { let id: Int }
        return try db.execute("SELECT id FROM isomine.jobs ORDER BY id DESC LIMIT \(limit)").decode(Row.self).map(\.id)
    }

    /// Deletes every job with this spec name (benchmarks clean up after themselves).
    public static func deleteNamed(_ db: PGConnection, name: String) throws {
        try db.execute("DELETE FROM isomine.jobs WHERE spec->>'name' = \(name)")
    }
}

extension JobQueue {
    /// A job's state, or nil if it does not exist.
    public static func state(_ db: PGConnection, id: Int) throws -> JobState? {
        try db.execute("SELECT state FROM isomine.jobs WHERE id = \(id)").first("state", as: String.self).flatMap(JobState.init(rawValue:))
    }
}
