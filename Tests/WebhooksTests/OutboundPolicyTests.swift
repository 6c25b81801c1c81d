// The outbound address policy: webhook URLs whose host is, or resolves to, a loopback, private,
// link-local, shared or multicast address are refused when added and when connected to, unless the
// endpoint or the deployment allows them.
import Foundation
import Testing
import TestSupport
@testable import Postgres
@testable import Queue
@testable import Webhooks

@Suite struct OutboundPolicyTests {
    /// IP literals in every notation a resolver accepts are judged by the address they denote.
    @Test func literalsInEveryNotationAreJudgedByTheirAddress() throws {
        let refused: [(url: String, says: String)] = [
            ("http://127.0.0.1:8080/hook", "127.0.0.1 is a loopback address"),
            ("http://2130706433/hook", "2130706433 resolves to 127.0.0.1, a loopback address"),
            ("http://0177.0.0.1/hook", "0177.0.0.1 resolves to 127.0.0.1, a loopback address"),
            ("http://0x7f.1/hook", "0x7f.1 resolves to 127.0.0.1, a loopback address"),
            ("http://127.1/hook", "127.1 resolves to 127.0.0.1, a loopback address"),
            ("http://[::1]:9/hook", "::1 is a loopback address"),
            ("http://[::ffff:127.0.0.1]/hook", "::ffff:127.0.0.1 is a loopback address"),
            ("http://[::ffff:7f00:1]/hook", "::ffff:7f00:1 is a loopback address"),
            ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
            ("http://[64:ff9b::a9fe:a9fe]/", "64:ff9b::a9fe:a9fe is a link-local address"),
            ("http://[fe80::1%25eth0]/", "fe80::1 is a link-local address"),
            ("http://user:pw@10.1.2.3/x", "10.1.2.3 is a private-network address"),
            ("https://172.16.0.1/", "172.16.0.1 is a private-network address"),
            ("https://192.168.1.1/", "192.168.1.1 is a private-network address"),
            ("https://[fd00::1]/", "fd00::1 is a private-network address"),
            ("https://[2002:c0a8:101::]/", "2002:c0a8:101:: is a private-network address"),
            ("https://100.64.0.1/", "100.64.0.1 is a shared or reserved-for-special-use address"),
            ("http://0.0.0.0:80/", "0.0.0.0 is an unspecified (this-host) address"),
            ("http://224.0.0.1/", "224.0.0.1 is a multicast, broadcast or reserved address"),
            ("http://localhost:8080/", "localhost is a loopback name"),
            ("http://a.b.localhost/", "a.b.localhost is a loopback name"),
        ]
        for (url, says) in refused {
            do {
                try OutboundPolicy.check(url: url, allowPrivate: false)
                Issue.record("\(url) was accepted")
            } catch let e as WebhookError {
                #expect(e.description.contains(says) && e.description.contains("--allow-private-network")
                        && e.description.contains("ISOMINE_WEBHOOK_ALLOW_PRIVATE=1"), "\(url): \(e)")
            }
            try OutboundPolicy.check(url: url, allowPrivate: true)
        }
        for url in ["https://8.8.8.8/hook", "https://172.32.0.1/", "https://[2606:4700::1111]/x", "https://1.1.1.1:8443/"] {
            try OutboundPolicy.check(url: url, allowPrivate: false)
        }
    }

    /// `webhooks add` refuses a private address with the rule named; --allow-private-network (stored on
    /// the endpoint, shown by `webhooks list`) or ISOMINE_WEBHOOK_ALLOW_PRIVATE=1 allows it.
    @Test func webhooksAddRefusesAndAllows() throws {
        let scratch = try ScratchDatabase(migrated: true)
        _ = try scratch.connectMigrated()
        let metadata = "http://169.254.169.254/latest/meta-data/"
        let refused = try IsomineBinary.run(["webhooks", "add", metadata, "--events", "job.failed"], database: scratch.name)
        #expect(refused.status != 0 && refused.err.contains("169.254.169.254 is a link-local address"), "\(refused.err)")
        let allowed = try IsomineBinary.run(["webhooks", "add", "http://10.0.0.7/hook", "--events", "job.failed", "--allow-private-network"], database: scratch.name)
        #expect(allowed.status == 0, "\(allowed.err)")
        let byEnvironment = try IsomineBinary.run(["webhooks", "add", "http://[::1]:9/hook", "--events", "job.failed"], database: scratch.name,
                                           environment: ["ISOMINE_WEBHOOK_ALLOW_PRIVATE": "1"])
        #expect(byEnvironment.status == 0, "\(byEnvironment.err)")
        let list = try IsomineBinary.run(["webhooks", "list"], database: scratch.name)
        let rows = list.out.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        #expect(rows.first?.contains("private") == true, "\(list.out)")
        #expect(rows.count == 3 && rows[1][4] == "yes" && rows[2][4] == "no", "\(list.out)")
    }

    /// An endpoint added by SQL (no add-time check) whose name resolves to loopback is refused when the
    /// worker connects, the attempt saying why, and nothing reaches the receiver; the deployment switch
    /// lets a worker deliver it.
    @Test func theAddressIsCheckedWhenConnecting() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let secret = WebhookSecret.generate()
        let receiver = try Receiver(secret: secret)
        let id = try db.execute("""
            INSERT INTO isomine.webhook_endpoints (url, events, secret) VALUES (\("http://localhost:\(receiver.port)/hook"), ARRAY['job.failed'], \(secret.text)) RETURNING id
            """).int(0, "id")!
        _ = try WebhookStore.test(db, id: id)
        // The retry is scheduled 60 s later, so that a slow machine cannot make a second attempt (and the
        // last one, with a one-step schedule) before this worker exits; the test brings it forward below.
        let refusing = try IsomineBinary.run(["worker", "--exit-when-idle", "--webhook-schedule", "60"], database: scratch.name)
        #expect(refusing.status == 0, "\(refusing.err)")
        let row = try db.execute("SELECT state, attempts, last_error FROM isomine.webhook_deliveries WHERE endpoint_id = \(id)")
        let error = try row.string(0, "last_error") ?? ""
        #expect(try row.string(0, "state") == "pending" && row.int(0, "attempts") == 1, "\(row)")
        #expect(error.hasPrefix("refused: localhost resolves to ") && error.contains("a loopback address") && error.contains("--allow-private-network"), "\(error)")
        #expect(receiver.requests().isEmpty)

        // Its retry, made due now, by a worker of a deployment that allows private addresses.
        _ = try db.execute("UPDATE isomine.webhook_deliveries SET next_attempt_at = now() WHERE endpoint_id = \(id)")
        let allowing = try IsomineBinary.run(["worker", "--exit-when-idle"], database: scratch.name, environment: ["ISOMINE_WEBHOOK_ALLOW_PRIVATE": "1"])
        #expect(allowing.status == 0, "\(allowing.err)")
        #expect(receiver.requests().count == 1)
        #expect(try count(db, "SELECT count(*) AS n FROM isomine.webhook_deliveries WHERE endpoint_id = \(id) AND state = 'delivered'") == 1)
    }

    /// A redirect is never followed, so it cannot lead a delivery to an address the policy refuses:
    /// the 307 is a failed attempt and its target gets nothing.
    @Test func redirectsAreNotFollowed() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let secret = WebhookSecret.generate()
        let target = try Receiver(secret: secret)
        let redirecting = try Receiver(secret: secret, responses: "307", location: target.url)
        let id = try WebhookStore.add(db, url: redirecting.url, events: ["job.failed"], secret: secret, attachReport: false, allowPrivateNetwork: true)
        _ = try WebhookStore.test(db, id: id)
        try dispatch(db, schedule: [60]) { try count(db, "SELECT count(*) AS n FROM isomine.webhook_attempts") == 1 }
        let row = try db.execute("SELECT state, last_status FROM isomine.webhook_deliveries WHERE endpoint_id = \(id)")
        #expect(try row.string(0, "state") == "pending" && row.int(0, "last_status") == 307, "\(row)")
        #expect(redirecting.requests().count == 1 && target.requests().isEmpty)
    }
}
