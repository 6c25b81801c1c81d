// What `isomine status` prints: the queue, the live workers and the failing webhook endpoints.
import Foundation
import Jobs
import Postgres
import Queue
import Vocabulary
import Webhooks

/// What `isomine status` prints.
public struct QueueStatus: Sendable {
    public struct Count: Sendable, Codable, Equatable { public var queue: String; public var state: JobState; public var jobs: Int }
    public struct Oldest: Sendable, Codable, Equatable { public var id: Int; public var queue: String; public var waitingSeconds: Double }
    public struct LiveWorker: Sendable, Codable, Equatable {
        public var id: String; public var host: String; public var pid: Int; public var queues: [String]
        public var concurrency: Int; public var lastSeenSecondsAgo: Double; public var running: [Int]
    }
    public struct FailingEndpoint: Sendable, Codable, Equatable {
        public var id: Int; public var url: String; public var enabled: Bool; public var disabledReason: String?
        public var dead: Int; public var retrying: Int
    }
    public var counts: [Count]
    public var oldestQueued: Oldest?
    /// Queued jobs whose run_after is in the future.
    public var scheduled: Int
    /// Queued jobs waiting for a retry (an attempt already used).
    public var retryable: Int
    public var workers: [LiveWorker]
    public var failingEndpoints: [FailingEndpoint]

    public static func load(_ db: PGConnection) throws -> QueueStatus {
        struct CountRow: Decodable { let queue: String, state: JobState, n: Int }
        struct OldestRow: Decodable { let id: Int, queue: String, waiting: Double }
        struct Backlog: Decodable { let scheduled: Int, retryable: Int }
        struct WorkerRow: Decodable { let id: String, host: String, pid: Int, queues: [String], concurrency: Int, ago: Double, running: [Int] }
        struct EndpointRow: Decodable { let id: Int, url: String, enabled: Bool, disabled_reason: String?, dead: Int, retrying: Int }
        let counts = try db.execute("SELECT queue, state, count(*) AS n FROM isomine.jobs GROUP BY queue, state ORDER BY queue, state")
            .decode(CountRow.self).map { Count(queue: $0.queue, state: $0.state, jobs: $0.n) }
        let oldest = try db.execute("""
            SELECT id, queue, extract(epoch FROM now() - run_after)::double precision AS waiting FROM isomine.jobs
             WHERE state = 'queued' AND run_after <= now() ORDER BY run_after, id LIMIT 1
            """).decodeOne(OldestRow.self).map { Oldest(id: $0.id, queue: $0.queue, waitingSeconds: $0.waiting) }
        let backlog = try db.execute("""
            SELECT count(*) FILTER (WHERE run_after > now()) AS scheduled, count(*) FILTER (WHERE attempt > 0) AS retryable
              FROM isomine.jobs WHERE state = 'queued'
            """).row(0).decode(Backlog.self)
        let workers = try db.execute("""
            SELECT w.id, w.host, w.pid, array_to_json(w.queues)::jsonb AS queues, w.concurrency,
                   extract(epoch FROM now() - w.last_seen)::double precision AS ago,
                   coalesce((SELECT jsonb_agg(j.id ORDER BY j.id) FROM isomine.jobs j
                              WHERE j.state = 'running' AND j.lease_owner LIKE w.id || ':%'), '[]'::jsonb) AS running
              FROM isomine.workers w WHERE w.last_seen > now() - make_interval(secs => \(WorkerRegistry.liveSeconds)) ORDER BY w.id
            """).decode(WorkerRow.self).map {
                LiveWorker(id: $0.id, host: $0.host, pid: $0.pid, queues: $0.queues, concurrency: $0.concurrency,
                           lastSeenSecondsAgo: $0.ago, running: $0.running)
            }
        let failing = try db.execute("""
            SELECT e.id, e.url, e.enabled, e.disabled_reason,
                   count(d.id) FILTER (WHERE d.state = 'dead') AS dead,
                   count(d.id) FILTER (WHERE d.state = 'pending' AND d.attempts > 0) AS retrying
              FROM isomine.webhook_endpoints e LEFT JOIN isomine.webhook_deliveries d ON d.endpoint_id = e.id
             GROUP BY e.id
            HAVING NOT e.enabled OR count(d.id) FILTER (WHERE d.state = 'dead') > 0
                OR count(d.id) FILTER (WHERE d.state = 'pending' AND d.attempts > 0) > 0
             ORDER BY e.id
            """).decode(EndpointRow.self).map {
                FailingEndpoint(id: $0.id, url: WebhookEndpoint.mask($0.url), enabled: $0.enabled, disabledReason: $0.disabled_reason,
                                dead: $0.dead, retrying: $0.retrying)
            }
        return QueueStatus(counts: counts, oldestQueued: oldest, scheduled: backlog.scheduled, retryable: backlog.retryable,
                           workers: workers, failingEndpoints: failing)
    }
}
