// What `isomine status` prints: the queue, the live workers and the failing webhook endpoints.
import Foundation
import Jobs
import Postgres
import Queue
import Webhooks

/// What `isomine status` prints.
public struct QueueStatus: Sendable {
    public struct Count: Sendable, Codable, Equatable { public var queue: String; public var state: String; public var jobs: Int }
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
        let c = try db.execute("SELECT queue, state, count(*) AS n FROM isomine.jobs GROUP BY queue, state ORDER BY queue, state")
        let counts = try (0..<c.count).map { Count(queue: try c.string($0, "queue") ?? "", state: try c.string($0, "state") ?? "", jobs: try c.int($0, "n") ?? 0) }
        let o = try db.execute("""
            SELECT id, queue, extract(epoch FROM now() - run_after) AS waiting FROM isomine.jobs
             WHERE state = 'queued' AND run_after <= now() ORDER BY run_after, id LIMIT 1
            """)
        let oldest = o.count == 1 ? Oldest(id: try o.int(0, "id") ?? 0, queue: try o.string(0, "queue") ?? "",
                                           waitingSeconds: Double(try o.string(0, "waiting") ?? "0") ?? 0) : nil
        let s = try db.execute("""
            SELECT count(*) FILTER (WHERE run_after > now()) AS scheduled, count(*) FILTER (WHERE attempt > 0) AS retryable
              FROM isomine.jobs WHERE state = 'queued'
            """)
        let w = try db.execute("""
            SELECT w.id, w.host, w.pid, array_to_json(w.queues)::text AS queues, w.concurrency,
                   extract(epoch FROM now() - w.last_seen) AS ago,
                   coalesce((SELECT json_agg(j.id ORDER BY j.id) FROM isomine.jobs j
                              WHERE j.state = 'running' AND j.lease_owner LIKE w.id || ':%'), '[]')::text AS running
              FROM isomine.workers w WHERE w.last_seen > now() - make_interval(secs => $1::integer) ORDER BY w.id
            """, [String(WorkerRegistry.liveSeconds)])
        func ints(_ text: String?) -> [Int] {
            guard case .array(let a)? = try? JSONValue.parse(Data((text ?? "[]").utf8)) else { return [] }
            return a.compactMap { if case .number(let d) = $0 { return Int(d) } else { return nil } }
        }
        func strings(_ text: String?) -> [String] {
            guard case .array(let a)? = try? JSONValue.parse(Data((text ?? "[]").utf8)) else { return [] }
            return a.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
        }
        let workers = try (0..<w.count).map { r in
            LiveWorker(id: try w.string(r, "id") ?? "", host: try w.string(r, "host") ?? "", pid: try w.int(r, "pid") ?? 0,
                       queues: strings(try w.string(r, "queues")), concurrency: try w.int(r, "concurrency") ?? 0,
                       lastSeenSecondsAgo: Double(try w.string(r, "ago") ?? "0") ?? 0, running: ints(try w.string(r, "running")))
        }
        let e = try db.execute("""
            SELECT e.id, e.url, e.enabled, e.disabled_reason,
                   count(d.id) FILTER (WHERE d.state = 'dead') AS dead,
                   count(d.id) FILTER (WHERE d.state = 'pending' AND d.attempts > 0) AS retrying
              FROM isomine.webhook_endpoints e LEFT JOIN isomine.webhook_deliveries d ON d.endpoint_id = e.id
             GROUP BY e.id
            HAVING NOT e.enabled OR count(d.id) FILTER (WHERE d.state = 'dead') > 0
                OR count(d.id) FILTER (WHERE d.state = 'pending' AND d.attempts > 0) > 0
             ORDER BY e.id
            """)
        let failing = try (0..<e.count).map { r in
            FailingEndpoint(id: try e.int(r, "id") ?? 0, url: WebhookEndpoint.mask(try e.string(r, "url") ?? ""), enabled: try e.bool(r, "enabled") ?? false,
                            disabledReason: try e.string(r, "disabled_reason"), dead: try e.int(r, "dead") ?? 0, retrying: try e.int(r, "retrying") ?? 0)
        }
        return QueueStatus(counts: counts, oldestQueued: oldest, scheduled: try s.int(0, "scheduled") ?? 0, retryable: try s.int(0, "retryable") ?? 0,
                           workers: workers, failingEndpoints: failing)
    }
}
