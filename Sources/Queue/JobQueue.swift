// The job lifecycle in SQL: enqueue, claim (SKIP LOCKED), heartbeat, finish with compare-and-set on
// the lease, retry with backoff, rescue of expired leases, cancel.
import Vocabulary
import Postgres
import Jobs

/// A job a worker holds a lease on.
public struct ClaimedJob: Sendable, Equatable {
    public let id: Int
    public let kind: JobKind
    /// The spec as stored (JSON text).
    public let spec: String
    /// This attempt's number (1 for the first run).
    public let attempt: Int
    public let maxAttempts: Int
    /// What lists and logs call it (`JobQueue.label`): its spec's name, with `(series NAME step N)` for a
    /// series step, or "".
    public let label: String

    enum CodingKeys: String, CodingKey {
        case id, kind, spec, attempt, label
        case maxAttempts = "max_attempts"
    }
}

extension ClaimedJob: Decodable {}

/// Job-queue statements. Every one is parameterised; finishing statements match (id, state, lease
/// owner, attempt) so a worker whose lease was rescued cannot overwrite the job's new owner.
public enum JobQueue {
    /// Queues a job through `isomine.enqueue` (so NOTIFY and unique_key dedupe apply); returns its id.
    /// `queue` nil: the spec's `queue`, else "default".
    public static func enqueue(_ db: PGConnection, kind: String, spec: String, priority: Int = 0,
                               runAfter: String? = nil, uniqueKey: String? = nil, maxAttempts: Int? = nil, queue: String? = nil) throws -> Int {
        try db.execute("""
            SELECT isomine.enqueue(\(kind), \(PGJSON(text: spec)), \(priority)::integer, coalesce(\(runAfter)::timestamptz, now()),
                                   \(uniqueKey), \(maxAttempts)::integer, \(queue)) AS id
            """).row(0).require("id")
    }

    /// Claims the next runnable job of `queues`, or nil when none is ready: by priority, then by when the
    /// job became ready — for a series step, no earlier than the last time a step of its series started —
    /// then id. So series take turns: the backlog of one series does not starve another's (two series'
    /// queued steps run alternately), and jobs outside any series keep their first-come order.
    public static func claim(_ db: PGConnection, owner: String, leaseSeconds: Int, queues: [String] = ["default"]) throws -> ClaimedJob? {
        let list = try PGJSON(encoding: queues)
        // One statement (one round trip): claim and record the event together.
        let rows = try db.execute("""
            WITH next AS (
                SELECT id FROM isomine.jobs j
                 WHERE state = 'queued' AND run_after <= now() AND attempt < max_attempts
                   AND queue IN (SELECT jsonb_array_elements_text(\(list)))
                 ORDER BY priority DESC,
                          CASE WHEN j.series IS NULL THEN j.run_after
                               ELSE greatest(j.run_after, (SELECT max(o.started_at) FROM isomine.jobs o WHERE o.series = j.series)) END,
                          id
                 LIMIT 1 FOR UPDATE SKIP LOCKED),
            claimed AS (
                UPDATE isomine.jobs j
                   SET state = 'running', attempt = j.attempt + 1, lease_owner = \(owner),
                       lease_expires = now() + make_interval(secs => \(leaseSeconds)), heartbeat_at = now(),
                       started_at = coalesce(j.started_at, now()), last_error = NULL,
                       -- An earlier attempt's provisional verdict is not this attempt's.
                       provisional = NULL, provisional_at = NULL
                  FROM next WHERE j.id = next.id
                RETURNING j.id, j.kind, j.spec::text AS spec, j.attempt, j.max_attempts, \(label) AS label),
            event AS (
                INSERT INTO isomine.job_events (job_id, type, data)
                SELECT id, 'job.started', jsonb_build_object('attempt', attempt) FROM claimed)
            SELECT * FROM claimed
            """)
        return try rows.decodeOne(ClaimedJob.self)
    }

    /// Extends the lease; false when the job is no longer this owner's (rescued, cancelled).
    public static func heartbeat(_ db: PGConnection, _ job: ClaimedJob, owner: String, leaseSeconds: Int) throws -> Bool {
        try db.execute("""
            UPDATE isomine.jobs SET heartbeat_at = now(), lease_expires = now() + make_interval(secs => \(leaseSeconds))
             WHERE id = \(job.id) AND state = 'running' AND lease_owner = \(owner) AND attempt = \(job.attempt)
            """).affected == 1
    }

    /// Whether the job was cancelled (checked between steps).
    public static func isCancelled(_ db: PGConnection, _ job: ClaimedJob) throws -> Bool {
        try db.execute("SELECT state FROM isomine.jobs WHERE id = \(job.id)").string(0, "state") == "cancelled"
    }

    /// Marks the job succeeded with its result; false if this owner no longer holds it.
    @discardableResult
    public static func succeed(_ db: PGConnection, _ job: ClaimedJob, owner: String, result: String) throws -> Bool {
        // One statement: the compare-and-set update and its event commit together or not at all.
        try db.execute("""
            WITH input AS (SELECT \(PGJSON(text: result)) AS result),
            done AS (
                UPDATE isomine.jobs j SET state = 'succeeded', result = input.result, finished_at = now(),
                       lease_owner = NULL, lease_expires = NULL
                  FROM input
                 WHERE id = \(job.id) AND j.state = 'running' AND j.lease_owner = \(owner) AND j.attempt = \(job.attempt)
                RETURNING j.id, j.result),
            -- A succeeded job never resumes: its checkpoint (the largest row it has) goes with it.
            dropped AS (DELETE FROM isomine.checkpoints c USING done WHERE c.job_id = done.id),
            event AS (
                INSERT INTO isomine.job_events (job_id, type, data)
                SELECT id, 'job.succeeded', jsonb_strip_nulls(jsonb_build_object(
                           'verdict', result->>'verdict',
                           'precision_at_1', (result->'final'->'eval'->>'precision_at_1')::double precision,
                           'map_at_r', (result->'final'->'eval'->>'map_at_r')::double precision))
                  FROM done)
            SELECT count(*) AS n FROM done
            """).int(0, "n") == 1
    }

    /// Records a failure. Permanent failures (invalid specs) end as `failed` at once; others go back to
    /// the queue with exponential backoff and jitter, or to `dead` when the attempts are used up.
    /// Returns the new state, or nil if this owner no longer holds the job.
    @discardableResult
    public static func fail(_ db: PGConnection, _ job: ClaimedJob, owner: String, error: String, permanent: Bool,
                            baseBackoffSeconds: Double = 2) throws -> JobState? {
        let state: JobState = permanent ? .failed : (job.attempt >= job.maxAttempts ? .dead : .queued)
        // Backoff base·2^(attempt−1), with ±25 % jitter so retried jobs do not stampede together.
        let delay = baseBackoffSeconds * Double(1 << min(job.attempt - 1, 20)) * Double.random(in: 0.75...1.25)
        return try db.transaction {
            let done = try db.execute("""
                UPDATE isomine.jobs SET state = \(state.rawValue), last_error = \(error), lease_owner = NULL, lease_expires = NULL,
                       run_after = CASE WHEN \(state.rawValue) = 'queued' THEN now() + make_interval(secs => \(delay)) ELSE run_after END,
                       finished_at = CASE WHEN \(state.rawValue) = 'queued' THEN NULL ELSE now() END
                 WHERE id = \(job.id) AND state = 'running' AND lease_owner = \(owner) AND attempt = \(job.attempt)
                """).affected == 1
            guard done else { return nil }
            try JobEvents.record(db, job.id, .afterFailure(state), .object(["error": .string(error)]))
            return state
        }
    }

    /// Returns running jobs whose lease expired to the queue, or to `dead` when out of attempts. Returns how many.
    @discardableResult
    public static func rescue(_ db: PGConnection) throws -> Int {
        try db.execute("""
            WITH expired AS (
                UPDATE isomine.jobs
                   SET state = CASE WHEN attempt >= max_attempts THEN 'dead' ELSE 'queued' END,
                       lease_owner = NULL, lease_expires = NULL, last_error = 'lease expired (worker lost)',
                       finished_at = CASE WHEN attempt >= max_attempts THEN now() ELSE NULL END
                 WHERE state = 'running' AND lease_expires < now()
                RETURNING id, state)
            INSERT INTO isomine.job_events (job_id, type, data)
            SELECT id, CASE WHEN state = 'dead' THEN 'job.dead' ELSE 'job.rescued' END, '{}'::jsonb FROM expired
            """).affected
    }

    /// Cancels a queued or running job (a running one stops at its next step). False if it had ended.
    @discardableResult
    public static func cancel(_ db: PGConnection, id: Int) throws -> Bool {
        try db.transaction {
            let done = try db.execute("""
                UPDATE isomine.jobs SET state = 'cancelled', finished_at = now(), lease_owner = NULL, lease_expires = NULL
                 WHERE id = \(id) AND state IN ('queued', 'running')
                """).affected == 1
            if done { try JobEvents.record(db, id, .cancelled) }
            return done
        }
    }

    /// Queues a failed, dead or cancelled job again with a fresh set of attempts; for a sweep, its runs
    /// that ended failed, dead or cancelled too. False if the job is not in one of those states. A series
    /// step stored without a margin (before a series had one, migration 020) takes its series' margin,
    /// as isomine.enqueue gives a step submitted now: a series is judged at one margin.
    @discardableResult
    public static func retry(_ db: PGConnection, id: Int) throws -> Bool {
        try db.transaction {
            let done = try db.execute("""
                UPDATE isomine.jobs j SET state = 'queued', attempt = 0, run_after = now(), finished_at = NULL, last_error = NULL,
                       spec = CASE WHEN j.series IS NULL OR j.spec->'margin' IS NOT NULL THEN j.spec
                                   ELSE j.spec || coalesce((SELECT jsonb_build_object('margin', s.margin) FROM isomine.series s
                                                             WHERE s.name = j.series AND s.margin IS NOT NULL), '{}') END
                 WHERE j.id = \(id) AND j.state IN ('failed', 'dead', 'cancelled')
                """).affected == 1
            if done {
                try db.execute("""
                    WITH again AS (
                        UPDATE isomine.jobs SET state = 'queued', attempt = 0, run_after = now(), finished_at = NULL, last_error = NULL
                         WHERE parent_id = \(id) AND state IN ('failed', 'dead', 'cancelled')
                        RETURNING id)
                    INSERT INTO isomine.job_events (job_id, type, data)
                    SELECT id, 'job.retried', jsonb_build_object('by_sweep', \(id)) FROM again
                    """)
                try JobEvents.record(db, id, .retried)
                try db.notify(Channel.jobs, String(id))
            }
            return done
        }
    }

    /// Gives a running job back to the queue without using up an attempt (graceful shutdown).
    @discardableResult
    public static func release(_ db: PGConnection, _ job: ClaimedJob, owner: String) throws -> Bool {
        try db.transaction {
            let done = try db.execute("""
                UPDATE isomine.jobs SET state = 'queued', attempt = attempt - 1, lease_owner = NULL, lease_expires = NULL
                 WHERE id = \(job.id) AND state = 'running' AND lease_owner = \(owner) AND attempt = \(job.attempt)
                """).affected == 1
            if done {
                try JobEvents.record(db, job.id, .released)
                try db.notify(Channel.jobs, String(job.id))
            }
            return done
        }
    }

    /// Gives back every job these owners still run (a worker whose grace period ran out), without using
    /// up an attempt; their checkpoints stay, so they resume. Returns how many.
    @discardableResult
    public static func releaseAll(_ db: PGConnection, owners: [String]) throws -> Int {
        let list = try PGJSON(encoding: owners)
        return try db.transaction {
            let n = try db.execute("""
                WITH released AS (
                    UPDATE isomine.jobs SET state = 'queued', attempt = attempt - 1, lease_owner = NULL, lease_expires = NULL
                     WHERE state = 'running' AND lease_owner IN (SELECT jsonb_array_elements_text(\(list)))
                    RETURNING id)
                INSERT INTO isomine.job_events (job_id, type, data)
                SELECT id, 'job.released', '{"grace_period_over": true}'::jsonb FROM released
                """).affected
            if n > 0 { try db.notify(Channel.jobs, "released") }
            return n
        }
    }

}

extension JobQueue {
    /// The job as claimed by `owner` in `attempt`, while that lease still holds (a job's child process
    /// reads its job this way), or nil.
    public static func held(_ db: PGConnection, id: Int, owner: String, attempt: Int) throws -> ClaimedJob? {
        let rows = try db.execute("""
            SELECT id, kind, spec::text AS spec, attempt, max_attempts, \(label) AS label FROM isomine.jobs
             WHERE id = \(id) AND state = 'running' AND lease_owner = \(owner) AND attempt = \(attempt)
            """)
        return try rows.decodeOne(ClaimedJob.self)
    }
}

/// A request the queue refuses before it reaches the database (the message names the argument).
public struct QueueError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
