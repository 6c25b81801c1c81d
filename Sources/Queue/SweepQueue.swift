// Sweeps in the queue: a claimed sweep parent queues its runs as child jobs, waits without a lease
// while any worker runs them, and is claimed again to aggregate them once the last one has ended
// (sql/004_sweeps.sql queues it again).
import Vocabulary
import Postgres
import Foundation
import Jobs

/// What one claim of a sweep parent did.
public enum SweepStep: Sendable, Equatable {
    /// Queued this many child jobs; the parent now waits for them.
    case fannedOut(Int)
    /// Some children have not ended yet; the parent waits again.
    case waiting
    /// Every child had ended: the parent succeeded with this result.
    case aggregated(SweepResult)
    /// The parent is no longer this worker's (rescued or cancelled).
    case lostLease
}

/// The statements of a sweep's life. Each claim's work is one transaction holding the parent's row
/// lock, which the child-finished trigger also takes: a child that ends meanwhile is never missed.
public enum SweepQueue {
    /// Moves a claimed sweep parent on: fan out (first claim), wait again, or aggregate (all children ended).
    public static func advance(_ db: PGConnection, _ job: ClaimedJob, owner: String, sweep: SweepSpec) throws -> SweepStep {
        try db.transaction {
            let held = try db.execute("""
                SELECT id FROM isomine.jobs
                 WHERE id = \(job.id) AND state = 'running' AND lease_owner = \(owner) AND attempt = \(job.attempt) FOR UPDATE
                """).count == 1
            guard held else { return .lostLease }
            let children = try db.execute("""
                SELECT id, state, spec::text AS spec, result, last_error FROM isomine.jobs WHERE parent_id = \(job.id) ORDER BY id
                """).decode(Child.self)
            if children.isEmpty {
                let n = try fanOut(db, job, sweep: sweep)
                try wait(db, job)
                try JobEvents.record(db, job.id, .sweepStarted, .object(["runs": .number(Double(n))]))
                return .fannedOut(n)
            }
            var outcomes: [SweepChildOutcome] = []
            let indexBySpec = Dictionary(try sweep.children.map { (try $0.spec.json.compactText(), $0.index) }, uniquingKeysWith: { a, _ in a })
            for child in children {
                if !child.state.isEnded {
                    try wait(db, job)
                    return .waiting
                }
                // Children are matched to grid points by their (normalised) spec, not by order.
                guard case .train(let spec)? = try? JobSpec.parse(Data(child.spec.utf8)),
                      let index = indexBySpec[try spec.json.compactText()] else { continue }
                outcomes.append(SweepChildOutcome(index: index, id: child.id, state: SweepRunState(child.state), result: child.result, error: child.lastError))
            }
            let result = SweepResult(sweep: sweep, outcomes: outcomes)
            let text = try JSONValue.from(result).compactText()
            try db.execute("""
                UPDATE isomine.jobs SET state = 'succeeded', result = \(PGJSON(text: text)), finished_at = now(), lease_owner = NULL, lease_expires = NULL
                 WHERE id = \(job.id)
                """)
            try JobEvents.record(db, job.id, .succeeded)
            try JobEvents.record(db, job.id, .sweepFinished, try JSONValue.from(result.summary))
            return .aggregated(result)
        }
    }

    /// A run of the sweep as its parent reads it.
    struct Child: Decodable {
        let id: Int
        let state: JobState
        let spec: String
        let result: JSONValue?
        let lastError: String?

        enum CodingKeys: String, CodingKey {
            case id, state, spec, result
            case lastError = "last_error"
        }
    }

    /// Queues every run of the sweep as a child train job (the parent's priority) in one statement.
    static func fanOut(_ db: PGConnection, _ job: ClaimedJob, sweep: SweepSpec) throws -> Int {
        let specs = try JSONValue.array(sweep.children.map { $0.spec.json }).compactText()
        let n = try db.execute("""
            WITH parent AS (SELECT priority, queue FROM isomine.jobs WHERE id = \(job.id)),
            children AS (
                INSERT INTO isomine.jobs (kind, spec, priority, parent_id, max_attempts, queue)
                SELECT 'train', s.spec, parent.priority, \(job.id), isomine.default_max_attempts('train'), parent.queue
                  FROM parent, jsonb_array_elements(\(PGJSON(text: specs))) WITH ORDINALITY AS s(spec, n)
                 ORDER BY s.n
                RETURNING id),
            events AS (
                INSERT INTO isomine.job_events (job_id, type, data)
                SELECT id, 'job.enqueued', jsonb_build_object('kind', 'train', 'sweep', \(job.id)) FROM children)
            SELECT count(*) AS n FROM children
            """).int(0, "n") ?? 0
        try db.notify(Channel.jobs, String(job.id))
        return n
    }

    /// The parent waits: still running, but with no lease, so the rescuer leaves it alone and the
    /// child-finished trigger may queue it again.
    static func wait(_ db: PGConnection, _ job: ClaimedJob) throws {
        try db.execute("""
            UPDATE isomine.jobs SET lease_owner = NULL, lease_expires = NULL, heartbeat_at = now() WHERE id = \(job.id)
            """)
    }
}
