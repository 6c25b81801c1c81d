// The set-up shared by the tests that check what gets announced: a migrated scratch database, a
// signing secret, a real receiver on loopback and one endpoint for it.
import Postgres
import Webhooks

/// A migrated scratch database with one webhook endpoint, subscribed to `events`, delivering to a
/// receiver that verifies the signatures with the same secret. Both are removed when it goes.
public final class WebhookScratch {
    public let scratch: ScratchDatabase
    public let db: PGConnection
    public let secret: WebhookSecret
    public let receiver: Receiver
    /// The endpoint's id.
    public let endpoint: Int

    /// `responses` and `delay` are the receiver's (its status codes in turn, seconds before answering).
    public init(events: [String], responses: String = "200", delay: Double = 0) throws {
        scratch = try ScratchDatabase(migrated: true)
        db = try scratch.connectMigrated()
        secret = WebhookSecret.generate()
        receiver = try Receiver(secret: secret, responses: responses, delay: delay)
        endpoint = try WebhookStore.add(db, url: receiver.url, events: events, secret: secret, attachReport: false, allowPrivateNetwork: true)
    }
}
