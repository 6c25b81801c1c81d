// Delivery faults: two dispatchers behind a slow receiver, deliveries left due when a worker exits
// idle, a disabled endpoint's queue, and credentials in listed URLs.
import Foundation
import TestSupport
import Testing
import Jobs
@testable import Postgres
@testable import Queue
@testable import Webhooks
@testable import Workers

@Suite struct WebhookDeliveryTests {
    /// Each delivery is claimed on its own, just before its POST: two dispatchers never post one twice,
    /// even when the receiver is slower than a batch lock would last (the old batch claim re-posted 6 of 20).
    @Test func twoDispatchersAndASlowReceiverPostEachDeliveryOnce() throws {
        let hook = try WebhookScratch(events: ["job.succeeded"], delay: 0.6)
        let scratch = hook.scratch, db = hook.db, receiver = hook.receiver, endpoint = hook.endpoint
        for _ in 0..<8 { _ = try WebhookStore.test(db, id: endpoint) }
        let name = scratch.name
        let done = LockedResults()
        let threads = (0..<2).map { _ in
            Thread {
                do {
                    let own = try PGConnection("dbname=\(name)")
                    // A lock of 2 + 1 + 0 s: shorter than the 8 × 0.6 s a batch of eight takes here.
                    let dispatcher = WebhookDispatcher(db: own, client: try HTTPClient(connectTimeout: 1, timeout: 2), schedule: DeliverySchedule(delays: [0.2]))
                    dispatcher.lockMargin = 0
                    var sent = 0
                    while true {
                        let n = try dispatcher.deliverDue()
                        if n == 0 { break }
                        sent += n
                    }
                    done.append(.success(sent))
                } catch {
                    done.append(.failure(error))
                }
            }
        }
        threads.forEach { $0.start() }
        #expect(waitUntil(60) { done.count == 2 })
        let sent = try done.values.map { try $0.get() }
        #expect(sent.reduce(0, +) == 8)
        #expect(sent.allSatisfy { $0 > 0 }, "both dispatchers took part: \(sent)")
        let ids = receiver.requests().compactMap { r -> String? in if case .string(let s)? = r["id"] { return s } else { return nil } }
        #expect(ids.count == 8 && Set(ids).count == 8, "\(ids)")
        #expect(try count(db, "SELECT count(*) AS n FROM isomine.webhook_attempts") == 8)
        #expect(try count(db, "SELECT count(*) AS n FROM isomine.webhook_deliveries WHERE state = 'delivered' AND attempts = 1") == 8)
    }

    /// Three workers stopped (SIGTERM) and replaced every 0.7 s behind a receiver that takes 1 s: each
    /// stopping worker finishes and records the POST it has in flight, so no message is posted twice.
    /// (Exiting with the POST in flight left its claim to expire; a later worker posted it again.)
    @Test func workersStoppedMidRequestNeverPostAMessageTwice() throws {
        let hook = try WebhookScratch(events: ["job.succeeded"], delay: 1.0)
        let scratch = hook.scratch, db = hook.db, receiver = hook.receiver, endpoint = hook.endpoint
        let messages = 24
        for _ in 0..<messages { _ = try WebhookStore.test(db, id: endpoint) }
        let arguments = ["worker", "--poll-seconds", "0.2", "--webhook-timeout", "3"]
        var workers = try (0..<3).map { _ in try IsomineBinary.start(arguments, database: scratch.name) }
        defer { for w in workers { w.stop() } }
        let end = Date().addingTimeInterval(18)
        var turn = 0
        while Date() < end {
            Thread.sleep(forTimeInterval: 0.7)
            let k = turn % 3
            workers[k].terminate()
            try workers[k].wait(within: 30)
            #expect(workers[k].terminationStatus == 0)
            workers[k] = try IsomineBinary.start(arguments, database: scratch.name)
            turn += 1
        }
        for w in workers { w.terminate(); try w.wait(within: 30) }
        // What is left, sent by one worker that drains before leaving (a claim left by an exit would
        // expire within this drain, 3 + 3 + 30 s, and be posted a second time).
        let last = try IsomineBinary.start(["worker", "--exit-when-idle", "--webhook-timeout", "3", "--webhook-drain-seconds", "90"], database: scratch.name)
        try last.wait(within: 150)
        let posted = receiver.requests().compactMap { r -> String? in if case .string(let s)? = r["id"] { return s } else { return nil } }
        #expect(Set(posted).count == messages, "\(Set(posted).count) of \(messages) messages arrived")
        #expect(posted.count == Set(posted).count, "posted twice: \(Dictionary(grouping: posted, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted())")
        #expect(try count(db, "SELECT count(*) AS n FROM isomine.webhook_deliveries WHERE state = 'delivered' AND attempts = 1") == messages)
    }

    /// `worker --exit-when-idle` (CI's and the demo's mode) sends what its jobs made due before it exits.
    @Test func exitWhenIdleLeavesNothingDue() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let secret = WebhookSecret.generate()
        // A receiver slower than the jobs: their deliveries are still due when the last job ends.
        let receiver = try Receiver(secret: secret, delay: 0.5)
        _ = try WebhookStore.add(db, url: receiver.url, events: ["job.succeeded"], secret: secret, attachReport: false, allowPrivateNetwork: true)
        for _ in 0..<3 { _ = try JobQueue.enqueue(db, kind: "analyze", spec: quickAnalyze) }
        let worker = try IsomineBinary.start(["worker", "--exit-when-idle"], database: scratch.name)
        try worker.wait()
        #expect(worker.terminationStatus == 0)
        #expect(try WebhookStore.dueCount(db) == 0)
        #expect(try count(db, "SELECT count(*) AS n FROM isomine.webhook_deliveries WHERE state = 'delivered'") == 3)
        #expect(receiver.requests().count == 3)
    }

    /// 410 Gone disables the endpoint; its other pending deliveries end (dead, saying why) instead of
    /// staying pending forever.
    @Test func disabledEndpointsDeliveriesEnd() throws {
        let hook = try WebhookScratch(events: ["job.succeeded"], responses: "410")
        let db = hook.db, receiver = hook.receiver, endpoint = hook.endpoint
        for _ in 0..<3 { _ = try WebhookStore.test(db, id: endpoint) }
        try dispatch(db) { try count(db, "SELECT count(*) AS n FROM isomine.webhook_deliveries WHERE state = 'pending'") == 0 }
        #expect(try count(db, "SELECT count(*) AS n FROM isomine.webhook_deliveries WHERE state = 'dead'") == 3)
        #expect(try count(db, "SELECT count(*) AS n FROM isomine.webhook_deliveries WHERE last_error = 'endpoint disabled (it answered 410 Gone)'") == 2)
        #expect(receiver.requests().count == 1)
    }

    @Test func credentialsInURLsAreMaskedWhenListed() throws {
        #expect(WebhookEndpoint.mask("https://bob:hunter2@hooks.example.com/x?token=abc&room=7") == "https://bob:***@hooks.example.com/x?token=***&room=7")
        #expect(WebhookEndpoint.mask("https://tok123@hooks.example.com/x") == "https://***@hooks.example.com/x")
        #expect(WebhookEndpoint.mask("http://127.0.0.1:8080/hook?api_key=k") == "http://127.0.0.1:8080/hook?api_key=***")
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        _ = try WebhookStore.add(db, url: "https://bob:hunter2@hooks.example.com/x?token=abc", events: ["job.succeeded"], secret: WebhookSecret.generate(), attachReport: false)
        let cli = try IsomineBinary.start(["webhooks", "list"], database: scratch.name, stdout: .capture)
        try cli.wait()
        let text = cli.output
        #expect(cli.terminationStatus == 0 && text.contains("https://bob:***@hooks.example.com/x?token=***"), "\(text)")
        #expect(!text.contains("hunter2") && !text.contains("abc"))
    }
}
