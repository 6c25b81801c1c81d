// Webhook endpoints and deliveries in SQL: add, list, remove, and the delivery log.
import Vocabulary
import Postgres
import Foundation
import Jobs

/// A registered endpoint.
public struct WebhookEndpoint: Sendable, Equatable {
    public var id: Int
    public var url: String
    public var events: [String]
    public var attachReport: Bool
    public var enabled: Bool
    public var disabledReason: String?
    /// The body format: standard or slack.
    public var format: String = "standard"
    /// It may reach addresses the outbound policy refuses by default.
    public var allowPrivateNetwork = false
}

extension WebhookEndpoint {
    /// The URL as it may be shown: a password in it and the values of query parameters that look like
    /// credentials (token, key, secret, password, signature, auth) replaced by "***".
    public var maskedURL: String { WebhookEndpoint.mask(url) }

    public static func mask(_ url: String) -> String {
        guard var c = URLComponents(string: url) else { return "(unparseable URL, not shown)" }
        if c.password != nil { c.password = "***" }
        else if c.user != nil { c.user = "***" }
        let secretish = ["token", "key", "secret", "password", "passwd", "signature", "sig", "auth", "apikey", "api_key", "access_token"]
        if let items = c.queryItems {
            c.queryItems = items.map { item in
                let name = item.name.lowercased()
                return secretish.contains(where: { name == $0 || name.hasSuffix("_" + $0) || name.hasSuffix("-" + $0) }) && item.value != nil
                    ? URLQueryItem(name: item.name, value: "***") : item
            }
        }
        return c.string ?? "(unparseable URL, not shown)"
    }
}

/// Endpoint and delivery statements (all parameterised).
public enum WebhookStore {
    /// The event types an endpoint can subscribe to.
    public static let eventTypes = JobEventType.subscribable.map(\.rawValue)

    /// Registers an endpoint; returns its id.
    /// Body formats: `standard` (type, timestamp, summary, data) or `slack` ({"text": summary and link}); both signed.
    public static let formats = WebhookFormat.allCases.map(\.rawValue)

    public static func add(_ db: PGConnection, url: String, events: [String], secret: WebhookSecret, attachReport: Bool, format: String = "standard",
                           allowPrivateNetwork: Bool = false) throws -> Int {
        guard formats.contains(format) else { throw WebhookError("--format: unknown body format '\(format)'; expected standard or slack") }
        guard url.lowercased().hasPrefix("https://") || url.lowercased().hasPrefix("http://"), url.count > 8, !url.contains(" ") else {
            throw WebhookError("URL: must be an http:// or https:// address, got '\(url)'")
        }
        guard !events.isEmpty else { throw WebhookError("--events: name at least one of \(eventTypes.joined(separator: ", "))") }
        for e in events where !eventTypes.contains(e) {
            throw WebhookError("--events: unknown event '\(e)'; expected one of \(eventTypes.joined(separator: ", "))")
        }
        try OutboundPolicy.check(url: url, allowPrivate: allowPrivateNetwork || OutboundPolicy.deploymentAllowsPrivate())
        let list = try JSONValue.array(events.map { .string($0) }).compactText()
        return try db.execute("""
            INSERT INTO isomine.webhook_endpoints (url, events, secret, attach_report, format, allow_private_network)
            VALUES ($1, ARRAY(SELECT jsonb_array_elements_text($2::jsonb)), $3, $4::boolean, $5, $6::boolean) RETURNING id
            """, [url, list, secret.text, String(attachReport), format, String(allowPrivateNetwork)]).int(0, "id") ?? 0
    }

    public static func list(_ db: PGConnection) throws -> [WebhookEndpoint] {
        let rows = try db.execute("""
            SELECT id, url, array_to_json(events)::text AS events, attach_report, enabled, disabled_reason, format, allow_private_network
              FROM isomine.webhook_endpoints ORDER BY id
            """)
        return try (0..<rows.count).map { r in
            var events: [String] = []
            if case .array(let a)? = try? JSONValue.parse(Data((try rows.string(r, "events") ?? "[]").utf8)) {
                events = a.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
            }
            return WebhookEndpoint(id: try rows.int(r, "id") ?? 0, url: try rows.string(r, "url") ?? "", events: events,
                                   attachReport: try rows.bool(r, "attach_report") ?? false, enabled: try rows.bool(r, "enabled") ?? false,
                                   disabledReason: try rows.string(r, "disabled_reason"), format: try rows.string(r, "format") ?? "standard",
                                   allowPrivateNetwork: try rows.bool(r, "allow_private_network") ?? false)
        }
    }

    /// Recent deliveries, newest first: id, endpoint_id, job, event_type, state, attempts, status, error, message_id.
    public static func deliveries(_ db: PGConnection, endpoint: Int?, limit: Int) throws -> PGRows {
        try db.execute("""
            SELECT id, endpoint_id, coalesce(job_id::text, '') AS job, event_type, state, attempts, coalesce(last_status::text, '') AS status,
                   coalesce(last_error, '') AS error, message_id
              FROM isomine.webhook_deliveries WHERE ($1::bigint IS NULL OR endpoint_id = $1::bigint) ORDER BY id DESC LIMIT $2::integer
            """, [endpoint.map(String.init), String(limit)])
    }

    /// Pending deliveries of enabled endpoints whose next attempt is due now (claimed or not).
    public static func dueCount(_ db: PGConnection) throws -> Int {
        try db.execute("""
            SELECT count(*) AS n FROM isomine.webhook_deliveries d JOIN isomine.webhook_endpoints e ON e.id = d.endpoint_id
             WHERE d.state = 'pending' AND d.next_attempt_at <= now() AND e.enabled
            """).int(0, "n") ?? 0
    }

    /// Removes an endpoint and its deliveries; false if it did not exist.
    @discardableResult
    public static func remove(_ db: PGConnection, id: Int) throws -> Bool {
        try db.execute("DELETE FROM isomine.webhook_endpoints WHERE id = $1::bigint", [String(id)]).affected == 1
    }

    /// Queues a `webhook.test` delivery to one endpoint (whatever it subscribes to); returns its message id.
    public static func test(_ db: PGConnection, id: Int) throws -> String {
        let rows = try db.execute("""
            INSERT INTO isomine.webhook_deliveries (endpoint_id, message_id, event_type, payload)
            SELECT e.id, 'msg_' || replace(gen_random_uuid()::text, '-', ''), 'webhook.test',
                   CASE WHEN e.format = 'slack' THEN jsonb_build_object('text', 'isomine test message for webhook endpoint ' || e.id)
                   ELSE jsonb_build_object('type', 'webhook.test', 'timestamp', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                                           'summary', 'isomine test message for webhook endpoint ' || e.id,
                                           'data', jsonb_build_object('endpoint_id', e.id)) END
              FROM isomine.webhook_endpoints e WHERE e.id = $1::bigint
            RETURNING message_id
            """, [String(id)])
        guard rows.count == 1, let message = try rows.string(0, "message_id") else { throw WebhookError("webhook endpoint \(id) does not exist") }
        try db.notify(Channel.webhooks, "webhook.test")
        return message
    }
}

