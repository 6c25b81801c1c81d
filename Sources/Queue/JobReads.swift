// The reads behind `jobs list`, `jobs show`, `metrics` and `report --all`: SQL stays in this module,
// the command line only formats.
import Vocabulary
import Foundation
import Postgres

extension JobQueue {
    /// Jobs newest first: id, kind, queue, state, attempts ("1/3"), priority, parent, created, verdict (its headline, e.g.
    /// `collapsed (distances; ranking intact)`), name.
    public static func list(_ db: PGConnection, state: String?, parent: Int?, hideRuns: Bool, limit: Int) throws -> PGRows {
        try db.execute("""
            SELECT id, kind, queue, state, attempt || '/' || max_attempts AS attempts, priority, coalesce(parent_id::text, '') AS parent,
                   to_char(created_at, 'YYYY-MM-DD HH24:MI:SS') AS created, coalesce(result->'final'->'diagnosis'->>'headline', result->>'verdict', '') AS verdict,
                   coalesce(spec->>'name', '') AS name,
                   CASE WHEN state = 'running' AND phase IS NOT NULL
                        THEN phase || coalesce(' ' || round(100 * phase_fraction)::integer || '%', '') ELSE '' END AS progress
              FROM isomine.jobs WHERE ($1::text IS NULL OR state = $1) AND ($3::bigint IS NULL OR parent_id = $3::bigint)
               AND (NOT $4::boolean OR parent_id IS NULL)
             ORDER BY id DESC LIMIT $2::integer
            """, [state, String(limit), parent.map(String.init), String(hideRuns)])
    }

    /// One job as a JSON object (a sweep with the count of its runs per state), or nil.
    public static func show(_ db: PGConnection, id: Int) throws -> String? {
        let rows = try db.execute("""
            SELECT jsonb_build_object('id', id, 'kind', kind, 'queue', queue, 'state', state, 'attempt', attempt, 'max_attempts', max_attempts,
                   'priority', priority, 'run_after', run_after, 'created_at', created_at, 'started_at', started_at,
                   'finished_at', finished_at, 'last_error', last_error, 'unique_key', unique_key, 'parent_id', parent_id,
                   'phase', phase, 'phase_fraction', phase_fraction,
                   'spec', spec, 'result', result,
                   'runs', CASE WHEN kind = 'sweep' THEN (SELECT coalesce(jsonb_object_agg(state, n), '{}'::jsonb)
                                                            FROM (SELECT state, count(*) AS n FROM isomine.jobs c WHERE c.parent_id = j.id GROUP BY state) s)
                           END)::text AS job
              FROM isomine.jobs j WHERE id = $1::bigint
            """, [String(id)])
        return rows.count == 1 ? try rows.string(0, "job") : nil
    }

    /// A job's metric rows (step, name, value), optionally one metric.
    public static func metrics(_ db: PGConnection, id: Int, name: String?) throws -> PGRows {
        try db.execute("""
            SELECT step, name, value FROM isomine.metrics WHERE job_id = $1::bigint AND ($2::text IS NULL OR name = $2)
             ORDER BY step, name
            """, [String(id), name])
    }

    /// The newest `limit` job ids.
    public static func recentIDs(_ db: PGConnection, limit: Int) throws -> [Int] {
        try db.execute("SELECT id FROM isomine.jobs ORDER BY id DESC LIMIT $1::integer", [String(limit)]).rows.compactMap { $0[0].flatMap(Int.init) }
    }

    /// Deletes every job with this spec name (benchmarks clean up after themselves).
    public static func deleteNamed(_ db: PGConnection, name: String) throws {
        try db.execute("DELETE FROM isomine.jobs WHERE spec->>'name' = $1", [name])
    }
}

extension JobQueue {
    /// A job's state, or nil if it does not exist.
    public static func state(_ db: PGConnection, id: Int) throws -> JobState? {
        let rows = try db.execute("SELECT state FROM isomine.jobs WHERE id = $1::bigint", [String(id)])
        return rows.count == 1 ? try rows.string(0, "state").flatMap(JobState.init(rawValue:)) : nil
    }
}
