// Delivering the webhook outbox: claim due deliveries (SKIP LOCKED, so several workers share the
// work), POST them signed, and record every attempt; retry on the Standard Webhooks schedule.
import Vocabulary
import Postgres
import Foundation
import Logging

/// Delays after each failed attempt before the next one.
public struct DeliverySchedule: Sendable, Equatable {
    public var delays: [Double]

    /// Standard Webhooks: at once, then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
    public static let standard = DeliverySchedule(delays: [5, 300, 1800, 7200, 18000, 36000, 36000])

    public init(delays: [Double]) { self.delays = delays }

    /// Parses "5,300,1800" (seconds).
    public init(parsing text: String) throws {
        let parts = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil && $0! >= 0 && $0!.isFinite }) else {
            throw WebhookError("--webhook-schedule: expected comma-separated non-negative seconds, e.g. 5,300,1800")
        }
        delays = parts.map { $0! }
    }

    /// Attempts in all (the first plus one per delay).
    public var attempts: Int { delays.count + 1 }
}

/// Sends due deliveries on one connection and one HTTP handle (one per thread).
public final class WebhookDispatcher {
    let db: PGConnection
    let client: HTTPClient
    let schedule: DeliverySchedule
    let logger: Logger
    /// Added to the request and connect timeouts to make a claimed delivery's lock (seconds).
    var lockMargin = 30.0
    /// Every endpoint may reach private addresses (`ISOMINE_WEBHOOK_ALLOW_PRIVATE=1` by default).
    public var allowPrivateNetwork = OutboundPolicy.deploymentAllowsPrivate()

    public init(db: PGConnection, client: HTTPClient, schedule: DeliverySchedule = .standard, logger: Logger = Logger(label: "isomine.webhooks")) {
        self.db = db
        self.client = client
        self.schedule = schedule
        self.logger = logger
    }

    /// Sends due deliveries one at a time until none is due or `limit` were sent; returns how many.
    ///
    /// Each delivery is claimed on its own, just before its POST, with a lock longer than any POST can
    /// take (timeout + connect timeout + 30 s). Claiming a batch under one lock let a second dispatcher
    /// re-post the ones the first had not reached when the lock ran out behind a slow receiver.
    /// `stop` is asked before each claim, so a stopping worker finishes the delivery in flight and claims no other.
    @discardableResult
    public func deliverDue(limit: Int = 20, unless stop: () -> Bool = { false }) throws -> Int {
        var sent = 0
        while sent < limit, !stop(), try deliverNext() { sent += 1 }
        return sent
    }

    /// Claims the next due delivery, posts it and records the attempt; false when none is due.
    func deliverNext() throws -> Bool {
        let lock = client.timeout + client.connectTimeout + lockMargin
        let rows = try db.execute("""
            WITH due AS (
                SELECT d.id FROM isomine.webhook_deliveries d JOIN isomine.webhook_endpoints e ON e.id = d.endpoint_id
                 WHERE d.state = 'pending' AND d.next_attempt_at <= now() AND (d.locked_until IS NULL OR d.locked_until < now()) AND e.enabled
                 ORDER BY d.next_attempt_at, d.id LIMIT 1 FOR UPDATE OF d SKIP LOCKED),
            locked AS (
                UPDATE isomine.webhook_deliveries d SET locked_until = now() + make_interval(secs => \(lock))
                  FROM due WHERE d.id = due.id
                RETURNING d.id, d.endpoint_id, d.message_id, d.payload::text AS payload, d.attempts)
            SELECT l.id, l.endpoint_id, l.message_id, l.payload, l.attempts, e.url, e.secret, e.allow_private_network
              FROM locked l JOIN isomine.webhook_endpoints e ON e.id = l.endpoint_id
            """)
        guard let due = try rows.decodeOne(DueDelivery.self) else { return false }
        do {
            let (id, endpoint, message, body, url, secretText) = (due.id, due.endpointID, due.messageID, due.payload, due.url, due.secret)
            let attempt = due.attempts + 1
            let allowPrivate = allowPrivateNetwork || due.allowPrivateNetwork
            let response: HTTPResponse
            do {
                let secret = try WebhookSecret(secretText)
                let timestamp = Int(Date().timeIntervalSince1970)
                response = client.post(url: url, headers: [
                    "Content-Type: application/json",
                    "webhook-id: \(message)",
                    "webhook-timestamp: \(timestamp)",
                    "webhook-signature: \(secret.signature(id: message, timestamp: timestamp, body: body))",
                ], body: body, allowPrivateNetwork: allowPrivate)
            } catch {
                response = HTTPResponse(status: 0, retryAfter: nil, error: "\(error)", seconds: 0)
            }
            try record(delivery: id, endpoint: endpoint, attempt: attempt, response)
        }
        return true
    }

    /// A claimed delivery with its endpoint's address and secret.
    struct DueDelivery: Decodable {
        let id: Int
        let endpointID: Int
        let messageID: String
        let payload: String
        let attempts: Int
        let url: String
        let secret: String
        let allowPrivateNetwork: Bool

        enum CodingKeys: String, CodingKey {
            case id, payload, attempts, url, secret
            case endpointID = "endpoint_id"
            case messageID = "message_id"
            case allowPrivateNetwork = "allow_private_network"
        }
    }

    /// Stores the attempt and moves the delivery on: delivered (2xx), endpoint disabled (410), retry later, or dead.
    func record(delivery id: Int, endpoint: Int, attempt: Int, _ response: HTTPResponse) throws {
        let status = response.status
        let error = response.error ?? ((200..<300).contains(status) ? nil : "HTTP \(status)")
        try db.transaction {
            try db.execute("""
                INSERT INTO isomine.webhook_attempts (delivery_id, attempt, status, error, duration_ms)
                VALUES (\(id), \(attempt), \(status > 0 ? status : nil), \(error), \(response.seconds * 1000))
                ON CONFLICT (delivery_id, attempt) DO NOTHING
                """)
            if (200..<300).contains(status) {
                try db.execute("""
                    UPDATE isomine.webhook_deliveries SET state = 'delivered', attempts = \(attempt), last_status = \(status),
                           last_error = NULL, delivered_at = now(), locked_until = NULL WHERE id = \(id)
                    """)
                WebhookMetrics.delivery("delivered", seconds: response.seconds)
                logger.notice("webhook delivered", metadata: ["delivery": "\(id)", "endpoint": "\(endpoint)", "attempt": "\(attempt)"])
            } else if status == 410 {
                // Gone: the receiver asks never to be called again.
                try db.execute("""
                    UPDATE isomine.webhook_endpoints SET enabled = false,
                           disabled_reason = 'answered 410 Gone at ' || to_char(now(), 'YYYY-MM-DD HH24:MI:SS TZ') WHERE id = \(endpoint)
                    """)
                try db.execute("""
                    UPDATE isomine.webhook_deliveries SET state = 'dead', attempts = \(attempt), last_status = 410,
                           last_error = 'endpoint answered 410 Gone and was disabled', locked_until = NULL WHERE id = \(id)
                    """)
                // Its other pending deliveries can never be sent: end them too, rather than leave them pending forever.
                try db.execute("""
                    UPDATE isomine.webhook_deliveries SET state = 'dead', last_error = 'endpoint disabled (it answered 410 Gone)', locked_until = NULL
                     WHERE endpoint_id = \(endpoint) AND state = 'pending'
                    """)
                WebhookMetrics.delivery("gone", seconds: response.seconds)
                logger.warning("webhook endpoint disabled (410 Gone)", metadata: ["endpoint": "\(endpoint)"])
            } else if attempt >= schedule.attempts {
                try db.execute("""
                    UPDATE isomine.webhook_deliveries SET state = 'dead', attempts = \(attempt), last_status = \(status > 0 ? status : nil),
                           last_error = \(error), locked_until = NULL WHERE id = \(id)
                    """)
                WebhookMetrics.delivery("dead", seconds: response.seconds)
                logger.warning("webhook delivery dead", metadata: ["delivery": "\(id)", "endpoint": "\(endpoint)", "error": "\(error ?? "")"])
            } else {
                // The schedule's delay with ±20 % jitter, or longer if the receiver asked (Retry-After).
                var delay = schedule.delays[attempt - 1] * Double.random(in: 0.8...1.2)
                if let wait = response.retryAfter { delay = max(delay, min(wait, 86_400)) }
                try db.execute("""
                    UPDATE isomine.webhook_deliveries SET attempts = \(attempt), last_status = \(status > 0 ? status : nil), last_error = \(error),
                           next_attempt_at = now() + make_interval(secs => \(delay)), locked_until = NULL WHERE id = \(id)
                    """)
                WebhookMetrics.delivery("retrying", seconds: response.seconds)
                logger.notice("webhook attempt failed; retrying", metadata: ["delivery": "\(id)", "attempt": "\(attempt)", "error": "\(error ?? "")", "in_seconds": "\(delay)"])
            }
        }
    }
}

/// The dispatcher's life on one thread: deliver what is due, wait on NOTIFY isomine_webhooks (or a
/// short poll, for retries coming due), reconnect when the database goes away, stop on shutdown.
public enum WebhookLoop {
    public static func run(schedule: DeliverySchedule, timeout: Double, logger: Logger, shuttingDown: @escaping () -> Bool,
                           connect: () throws -> PGConnection) {
        var delay = 0.1
        while !shuttingDown() {
            do {
                let db = try connect()
                try db.listen(Channel.webhooks)
                let dispatcher = WebhookDispatcher(db: db, client: try HTTPClient(connectTimeout: min(5, timeout), timeout: timeout),
                                                   schedule: schedule, logger: logger)
                delay = 0.1
                while !shuttingDown() {
                    if try dispatcher.deliverDue(unless: shuttingDown) == 0 { _ = try db.notifications(timeout: 0.25) }
                }
            } catch {
                logger.warning("webhook dispatcher error; reconnecting", metadata: ["error": "\(error)"])
                WebhookMetrics.reconnected()
                PGSession.wait(delay, unless: shuttingDown)
                delay = min(delay * 2, 10)
            }
        }
    }
}
