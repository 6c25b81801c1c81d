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
    /// The body format.
    public var format: WebhookFormat = .standard
    /// It may reach addresses the outbound policy refuses by default.
    public var allowPrivateNetwork = false
}

extension WebhookEndpoint: Decodable {
    enum CodingKeys: String, CodingKey {
        case id, url, events, enabled, format
        case attachReport = "attach_report"
        case disabledReason = "disabled_reason"
        case allowPrivateNetwork = "allow_private_network"
    }
}

/// One delivery as `webhooks deliveries` lists it.
public struct WebhookDeliveryRow: Decodable, Sendable, Equatable {
    public var id: Int
    public var endpointID: Int
    public var jobID: Int?
    public var eventType: String
    public var state: DeliveryState
    public var attempts: Int
    public var lastStatus: Int?
    public var lastError: String?
    /// The `webhook-id` header of every attempt.
    public var messageID: String

    enum CodingKeys: String, CodingKey {
        case id, state, attempts
        case endpointID = "endpoint_id"
        case jobID = "job_id"
        case eventType = "event_type"
        case lastStatus = "last_status"
        case lastError = "last_error"
        case messageID = "message_id"
    }
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

    public static func add(_ db: PGConnection, url: String, events: [String], secret: WebhookSecret, attachReport: Bool, format: WebhookFormat = .standard,
                           allowPrivateNetwork: Bool = false) throws -> Int {
        guard url.lowercased().hasPrefix("https://") || url.lowercased().hasPrefix("http://"), url.count > 8, !url.contains(" ") else {
            throw WebhookError("URL: must be an http:// or https:// address, got '\(url)'")
        }
        guard !events.isEmpty else { throw WebhookError("--events: name at least one of \(eventTypes.joined(separator: ", "))") }
        for e in events where !eventTypes.contains(e) {
            throw WebhookError("--events: unknown event '\(e)'; expected one of \(eventTypes.joined(separator: ", "))")
        }
        try OutboundPolicy.check(url: url, allowPrivate: allowPrivateNetwork || OutboundPolicy.deploymentAllowsPrivate())
        return try db.execute("""
            INSERT INTO isomine.webhook_endpoints (url, events, secret, attach_report, format, allow_private_network)
            VALUES (\(url), ARRAY(SELECT jsonb_array_elements_text(\(try PGJSON(encoding: events)))), \(secret.text), \(attachReport), \(format.rawValue), \(allowPrivateNetwork)) RETURNING id
            """).row(0).require("id")
    }

    public static func list(_ db: PGConnection) throws -> [WebhookEndpoint] {
        try db.execute("""
            SELECT id, url, array_to_json(events)::jsonb AS events, attach_report, enabled, disabled_reason, format, allow_private_network
              FROM isomine.webhook_endpoints ORDER BY id
            """).decode(WebhookEndpoint.self)
    }

    /// Recent deliveries, newest first.
    public static func deliveries(_ db: PGConnection, endpoint: Int?, limit: Int) throws -> [WebhookDeliveryRow] {
        try db.execute("""
            SELECT id, endpoint_id, job_id, event_type, state, attempts, last_status, last_error, message_id
              FROM isomine.webhook_deliveries WHERE (\(endpoint) IS NULL OR endpoint_id = \(endpoint)) ORDER BY id DESC LIMIT \(limit)
            """).decode(WebhookDeliveryRow.self)
    }

    /// Pending deliveries of enabled endpoints whose next attempt is due now (claimed or not).
    public static func dueCount(_ db: PGConnection) throws -> Int {
        try db.execute("""
            SELECT count(*) AS n FROM isomine.webhook_deliveries d JOIN isomine.webhook_endpoints e ON e.id = d.endpoint_id
             WHERE d.state = 'pending' AND d.next_attempt_at <= now() AND e.enabled
            """).row(0).require("n")
    }

    /// Removes an endpoint and its deliveries; false if it did not exist.
    @discardableResult
    public static func remove(_ db: PGConnection, id: Int) throws -> Bool {
        try db.execute("DELETE FROM isomine.webhook_endpoints WHERE id = \(id)").affected == 1
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
              FROM isomine.webhook_endpoints e WHERE e.id = \(id)
            RETURNING message_id
            """)
        guard let message = try rows.first("message_id", as: String.self) else { throw WebhookError("webhook endpoint \(id) does not exist") }
        try db.notify(Channel.webhooks, "webhook.test")
        return message
    }
}

