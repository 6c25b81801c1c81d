// `isomine webhooks …`: endpoints, test messages and the delivery log.
import Vocabulary
import Console
import ArgumentParser
import Foundation
import Postgres
import Queue
import Webhooks
import Workers
import Jobs
import Datasets
import Reports

struct Webhooks: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Webhook endpoints (Standard Webhooks): add, list, remove, test, and the delivery log.",
        discussion: """
        Events: job.succeeded, job.failed, job.dead, collapse.detected, collapse.warning, sweep.finished, report.ready. Each delivery is a POST of {"type", "timestamp", "data"} with headers webhook-id (the same on every retry), webhook-timestamp and webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body"> keyed by the base64-decoded whsec_ secret. The worker delivers them (2xx is success; retries at once, then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h with jitter, or later if Retry-After says so; 410 disables the endpoint).
        """,
        subcommands: [Add.self, List.self, Remove.self, Test.self, Deliveries.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register an endpoint; prints its id and secret.")
        @Argument(help: "http:// or https:// URL that receives the POSTs.")
        var url: String
        @Option(help: "Comma-separated event types.")
        var events: String
        @Option(help: "Signing secret whsec_<base64> (default: a new random one, printed once).")
        var secret: String?
        @Flag(help: "Also send the self-contained report HTML in report.ready payloads (data.report_html).")
        var attachReport = false
        @Option(help: "Body format: standard ({type, timestamp, summary, data}) or slack ({\"text\": summary and report link}, for Slack-compatible incoming webhooks); both are signed.")
        var format = "standard"
        @Flag(help: "Let this endpoint reach loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local (169.254/16, fe80::/10), shared and multicast addresses, refused by default (ISOMINE_WEBHOOK_ALLOW_PRIVATE=1 allows them for every endpoint).")
        var allowPrivateNetwork = false

        func run() throws {
            try CLIError.reporting {
                let key = try secret.map { try WebhookSecret($0) } ?? WebhookSecret.generate()
                let names = events.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                let db = try Database.connect()
                guard let format = WebhookFormat(rawValue: format) else {
                    throw WebhookError("--format: unknown body format '\(format)'; expected \(WebhookStore.formats.joined(separator: " or "))")
                }
                let id = try WebhookStore.add(db, url: url, events: names, secret: key, attachReport: attachReport, format: format,
                                              allowPrivateNetwork: allowPrivateNetwork)
                print("endpoint \(id)")
                if secret == nil { print("secret \(key.text)  (store it: it is needed to verify signatures)") }
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Endpoints with their events and state (secrets are not shown).")
        func run() throws {
            try CLIError.reporting {
                let db = try Database.connect()
                let body = try WebhookStore.list(db).map { e in
                    [String(e.id), e.enabled ? "yes" : "no", e.attachReport ? "yes" : "no", e.format.rawValue, e.allowPrivateNetwork ? "yes" : "no",
                     e.events.joined(separator: ","), e.maskedURL + (e.disabledReason.map { "  (disabled: \($0))" } ?? "")]
                }
                print(TextTable.render([["id", "enabled", "attach", "format", "private", "events", "url"]] + body), terminator: "")
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete an endpoint and its deliveries.")
        @Argument var id: Int
        func run() throws {
            try CLIError.reporting {
                guard try WebhookStore.remove(try Database.connect(), id: id) else { throw RunError("webhook endpoint \(id) does not exist") }
                print("removed \(id)")
            }
        }
    }

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Queue a webhook.test delivery to an endpoint (a running worker sends it).")
        @Argument var id: Int
        func run() throws {
            try CLIError.reporting {
                print("queued \(try WebhookStore.test(try Database.connect(), id: id))")
            }
        }
    }

    struct Deliveries: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Recent deliveries: state, attempts, last status or error.")
        @Option(help: "Only this endpoint.")
        var endpoint: Int?
        @Option(help: "At most this many.")
        var limit = 50
        func run() throws {
            try CLIError.reporting {
                let db = try Database.connect()
                let rows = try WebhookStore.deliveries(db, endpoint: endpoint, limit: limit)
                let body = rows.map { d in
                    [String(d.id), String(d.endpointID), d.jobID.map(String.init) ?? "", d.eventType, d.state.rawValue, String(d.attempts),
                     d.lastStatus.map(String.init) ?? "", d.messageID, d.lastError ?? ""]
                }
                print(TextTable.render([["id", "endpoint", "job", "event", "state", "attempts", "status", "webhook-id", "error"]] + body), terminator: "")
            }
        }
    }
}
