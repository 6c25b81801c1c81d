// Webhooks against a real HTTP receiver on loopback (Python, verifying signatures with its own
// hmac): outbox rows written with the events, retries that keep the webhook-id, a receiver that is
// down and comes back, 410 disabling the endpoint, a slow receiver timing out, report attachments,
// and stop_on_collapse announcing collapse.detected.
import Foundation
import TestSupport
import Logging
import Testing
import Jobs
import Reports
@testable import Postgres
@testable import Queue
@testable import Webhooks
@testable import Workers

/// Runs the dispatcher until `done` holds or `seconds` pass.
func dispatch(_ db: PGConnection, schedule: [Double] = [0.2, 0.2, 0.2], timeout: Double = 5, seconds: Double = 20, until done: () throws -> Bool) throws {
    let dispatcher = WebhookDispatcher(db: db, client: try HTTPClient(connectTimeout: 1, timeout: timeout), schedule: DeliverySchedule(delays: schedule))
    let deadline = Date().addingTimeInterval(seconds)
    while try !done() && Date() < deadline {
        if try dispatcher.deliverDue() == 0 { Thread.sleep(forTimeInterval: 0.05) }
    }
}

func deliveries(_ db: PGConnection, _ type: String) throws -> PGRows {
    try db.execute("SELECT id, state, attempts, last_status, last_error, message_id FROM isomine.webhook_deliveries WHERE event_type = \(type) ORDER BY id")
}


@Suite struct WebhookTests {
    @Test func signedDeliveriesRetryUnderOneIdUntilA2xx() throws {
        let hook = try WebhookScratch(events: ["job.succeeded"], responses: "500,200")
        let db = hook.db, receiver = hook.receiver, endpoint = hook.endpoint
        let id = try JobQueue.enqueue(db, kind: "train", spec: quickTrain)
        #expect(try Worker(db: db, owner: "w", runner: Runner()).runOne() == id)
        // The outbox row was written with the event.
        #expect(try deliveries(db, "job.succeeded").count == 1)
        try dispatch(db) { try deliveries(db, "job.succeeded").string(0, "state") == "delivered" }
        let d = try deliveries(db, "job.succeeded")
        #expect(try d.string(0, "state") == "delivered" && d.int(0, "attempts") == 2 && d.int(0, "last_status") == 200)
        let requests = receiver.requests()
        #expect(requests.count == 2)
        // Both attempts carry the same webhook-id, a signature Python verifies, and the Standard Webhooks payload.
        let messageID = try #require(try d.string(0, "message_id"))
        #expect(requests.allSatisfy { $0["id"] == .string(messageID) })
        #expect(requests.allSatisfy { $0["valid"] == .bool(true) && $0["content_type"] == .string("application/json") })
        let payload = try #require(requests.last?["payload"])
        #expect(payload["type"] == .string("job.succeeded") && payload["timestamp"] != nil)
        #expect(payload["data"]?["job_id"] == .number(Double(id)) && payload["data"]?["state"] == .string("succeeded"))
        #expect(payload["data"]?["name"] == .string("hooked") && payload["data"]?["verdict"] != nil)
        let attempts = try db.execute("SELECT attempt, status FROM isomine.webhook_attempts ORDER BY attempt")
        #expect(try attempts.column("status", as: Int.self) == [500, 200])
        _ = endpoint
    }

    @Test func receiverDownIsRetriedAndDeliveredWhenItComesUp() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let secret = WebhookSecret.generate()
        let port = try freePort()
        _ = try WebhookStore.add(db, url: "http://127.0.0.1:\(port)/hook", events: ["job.failed"], secret: secret, attachReport: false, allowPrivateNetwork: true)
        let id = try JobQueue.enqueue(db, kind: "train", spec: #"{"kind":"train","dataset":{"type":"digits"},"steps":0}"#)
        #expect(try Worker(db: db, owner: "w", runner: Runner()).runOne() == id)
        try dispatch(db, schedule: [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]) { try deliveries(db, "job.failed").int(0, "attempts") ?? 0 >= 1 }
        let first = try deliveries(db, "job.failed")
        #expect(try first.string(0, "state") == "pending" && first.int(0, "last_status") == nil)
        #expect(try (first.string(0, "last_error") ?? "").lowercased().contains("connect"))
        let receiver = try Receiver(secret: secret, port: port)
        try dispatch(db, schedule: [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]) { try deliveries(db, "job.failed").string(0, "state") == "delivered" }
        #expect(try deliveries(db, "job.failed").string(0, "state") == "delivered")
        #expect(receiver.requests().count == 1 && receiver.requests()[0]["valid"] == .bool(true))
        #expect(receiver.requests()[0]["payload"]?["data"]?["error"] == .string("spec.steps: must be between 1 and 100000000, got 0"))
    }

    @Test func goneDisablesTheEndpointAndLastAttemptIsDead() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let secret = WebhookSecret.generate()
        let gone = try Receiver(secret: secret, responses: "410")
        let failing = try Receiver(secret: secret, responses: "503", retryAfter: "1")
        let goneID = try WebhookStore.add(db, url: gone.url, events: ["job.succeeded"], secret: secret, attachReport: false, allowPrivateNetwork: true)
        _ = try WebhookStore.add(db, url: failing.url, events: ["job.succeeded"], secret: secret, attachReport: false, allowPrivateNetwork: true)
        _ = try JobQueue.enqueue(db, kind: "train", spec: quickTrain)
        _ = try Worker(db: db, owner: "w", runner: Runner()).runOne()
        let started = Date()
        try dispatch(db, schedule: [0.1, 0.1]) {
            try db.execute("SELECT count(*) AS n FROM isomine.webhook_deliveries WHERE state = 'dead'").int(0, "n") == 2
        }
        let endpoint = try #require(try WebhookStore.list(db).first { $0.id == goneID })
        #expect(!endpoint.enabled && (endpoint.disabledReason ?? "").contains("410"))
        #expect(gone.requests().count == 1)
        // 503 three times (the schedule's 1 + 2 retries); Retry-After: 1 stretched the 0.1 s delays.
        #expect(failing.requests().count == 3)
        #expect(Date().timeIntervalSince(started) >= 1.8)
        let dead = try db.execute("SELECT last_status, attempts FROM isomine.webhook_deliveries d JOIN isomine.webhook_endpoints e ON e.id = d.endpoint_id WHERE e.enabled")
        #expect(try dead.int(0, "last_status") == 503 && dead.int(0, "attempts") == 3)
        // A disabled endpoint gets no new deliveries.
        _ = try JobQueue.enqueue(db, kind: "train", spec: quickTrain)
        _ = try Worker(db: db, owner: "w", runner: Runner()).runOne()
        #expect(try count(db, "SELECT count(*) AS n FROM isomine.webhook_deliveries WHERE endpoint_id = \(goneID)") == 1)
    }

    @Test func slowReceiverTimesOutAndIsRecorded() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let secret = WebhookSecret.generate()
        let slow = try Receiver(secret: secret, delay: 3)
        _ = try WebhookStore.add(db, url: slow.url, events: ["job.succeeded"], secret: secret, attachReport: false, allowPrivateNetwork: true)
        _ = try JobQueue.enqueue(db, kind: "train", spec: quickTrain)
        _ = try Worker(db: db, owner: "w", runner: Runner()).runOne()
        let started = Date()
        let dispatcher = WebhookDispatcher(db: db, client: try HTTPClient(connectTimeout: 1, timeout: 0.5), schedule: DeliverySchedule(delays: [60]))
        #expect(try dispatcher.deliverDue() == 1)
        #expect(Date().timeIntervalSince(started) < 2.5)
        let d = try deliveries(db, "job.succeeded")
        #expect(try d.string(0, "state") == "pending" && d.int(0, "attempts") == 1)
        #expect(try (d.string(0, "last_error") ?? "").lowercased().contains("timeout") || (d.string(0, "last_error") ?? "").lowercased().contains("timed out"))
        #expect(try count(db, "SELECT count(*) AS n FROM isomine.webhook_attempts WHERE status IS NULL AND error IS NOT NULL") == 1)
    }

    @Test func reportReadyCarriesTheLinkAndOnlyAttachingEndpointsGetTheHTML() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let secret = WebhookSecret.generate()
        let plain = try Receiver(secret: secret), attaching = try Receiver(secret: secret)
        _ = try WebhookStore.add(db, url: plain.url, events: ["report.ready"], secret: secret, attachReport: false, allowPrivateNetwork: true)
        _ = try WebhookStore.add(db, url: attaching.url, events: ["report.ready"], secret: secret, attachReport: true, allowPrivateNetwork: true)
        let folder = TempFolder("hookreports"), root = folder.path
        let publisher = try ReportPublisher(root: ReportsRoot(path: root), publicBase: "https://reports.example.org/isomine/")
        let id = try JobQueue.enqueue(db, kind: "train", spec: quickTrain)
        _ = try Worker(db: db, owner: "w", runner: Runner(), reports: publisher).runOne()
        try dispatch(db) { try deliveries(db, "report.ready").column("state", as: String.self).allSatisfy { $0 == "delivered" } }
        let a = try #require(plain.requests().first?["payload"]?["data"]), b = try #require(attaching.requests().first?["payload"]?["data"])
        #expect(a["url"] == .string("https://reports.example.org/isomine/job-\(id)/index.html"))
        let html = try String(contentsOfFile: root + "/job-\(id)/index.html", encoding: .utf8)
        #expect(a["report_html"] == nil && b["report_html"] == .string(html))
        #expect(a["sha256"] == b["sha256"] && a["precision_at_1"] != nil && a["verdict"] != nil)
        #expect(plain.requests()[0]["valid"] == .bool(true) && attaching.requests()[0]["valid"] == .bool(true))
        // The page itself is not kept in job_events.
        #expect(try count(db, "SELECT count(*) AS n FROM isomine.job_events WHERE data ? '_report_html' OR data ? 'report_html'") == 0)
    }

    @Test func stopOnCollapseEndsSucceededAfterAnnouncingIt() throws {
        let hook = try WebhookScratch(events: ["collapse.detected", "job.succeeded"])
        let db = hook.db, receiver = hook.receiver
        // Batch-hard with B = 320 on a 2-D sphere at a high learning rate: collapses within a few hundred steps.
        let spec = #"{"kind":"train","dataset":{"type":"digits"},"model":{"hidden":[128],"embedding_dim":2},"sampler":{"classes_per_batch":10,"samples_per_class":32},"optimizer":{"learning_rate":0.05},"steps":2000,"eval_every":50,"estimators":{"probe_size":64,"iterations":20},"stop_on_collapse":true}"#
        let id = try JobQueue.enqueue(db, kind: "train", spec: spec)
        let folder = TempFolder("collapse")
        let publisher = try ReportPublisher(root: ReportsRoot(path: folder.path))
        _ = try Worker(db: db, owner: "w", runner: Runner(), reports: publisher).runOne()
        let job = try db.execute("SELECT state, result->>'verdict' AS verdict, (result->>'stopped_on_collapse_at')::integer AS at, (result->'final'->>'step')::integer AS step FROM isomine.jobs WHERE id = \(id)")
        #expect(try job.string(0, "state") == "succeeded" && job.string(0, "verdict") == "collapsed")
        let at = try #require(try job.int(0, "at"))
        let finalStep = try job.int(0, "step")
        #expect(at < 2000 && at == finalStep)
        let events = try db.execute("SELECT type FROM isomine.job_events WHERE job_id = \(id) AND type IN ('collapse.detected', 'job.succeeded') ORDER BY id")
        #expect(try events.column("type", as: String.self) == ["collapse.detected", "job.succeeded"])
        try dispatch(db) { receiver.requests().count >= 2 }
        let collapse = try #require(receiver.requests().first { $0["payload"]?["type"] == .string("collapse.detected") })
        #expect(collapse["valid"] == .bool(true))
        #expect(collapse["payload"]?["data"]?["step"] == .number(Double(at)))
        #expect(collapse["payload"]?["data"]?["signals"]?["relative_spread"] != nil)
        #expect(collapse["payload"]?["data"]?["report_url"] == .string(publisher.url(id)))
    }
}

@Suite struct CollapseLinkTests {
    /// The page collapse.detected links to exists when the event is sent, while the run goes on and
    /// without --report-each-evaluation (the receiver checks the file when the request arrives).
    @Test func collapseEventLinksAPageThatExistsWhenSent() throws {
        let hook = try WebhookScratch(events: ["collapse.detected"])
        let scratch = hook.scratch, db = hook.db, receiver = hook.receiver
        let spec = #"{"kind":"train","dataset":{"type":"digits"},"model":{"hidden":[128],"embedding_dim":2},"sampler":{"classes_per_batch":10,"samples_per_class":32},"optimizer":{"learning_rate":0.05},"steps":1000000,"eval_every":50,"estimators":{"probe_size":64,"iterations":20}}"#
        let id = try JobQueue.enqueue(db, kind: "train", spec: spec)
        let worker = try IsomineBinary.start(["worker"], database: scratch.name)
        defer { if worker.isRunning { worker.interrupt(); try? worker.wait(within: 60) } }
        let deadline = Date().addingTimeInterval(120)
        while receiver.requests().isEmpty && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        let event = try #require(receiver.requests().first)
        #expect(event["payload"]?["type"] == .string("collapse.detected"))
        #expect(event["report_exists"] == .bool(true), "the page was not there when collapse.detected arrived")
        // The run was still going when the event arrived.
        #expect(try db.execute("SELECT state FROM isomine.jobs WHERE id = \(id)").string(0, "state") == "running")
        try JobQueue.cancel(db, id: id)
    }
}

@Suite struct CollapseWarningEventTests {
    /// A run that warns (at step 0, from its collapse risk) records collapse.warning once, with a summary and a link to a page that exists.
    @Test func collapseWarningIsAnnouncedOnceWithItsReasons() throws {
        let hook = try WebhookScratch(events: ["collapse.warning"])
        let scratch = hook.scratch, db = hook.db, receiver = hook.receiver
        let spec = #"{"kind":"train","dataset":{"type":"digits"},"model":{"hidden":[128],"embedding_dim":2},"sampler":{"classes_per_batch":10,"samples_per_class":32},"optimizer":{"learning_rate":0.05},"steps":150,"eval_every":50,"warning":{"stride":5},"estimators":{"probe_size":64,"iterations":10,"final_iterations":10}}"#
        let id = try JobQueue.enqueue(db, kind: "train", spec: spec)
        let worker = try IsomineBinary.run(["worker", "--exit-when-idle"], database: scratch.name)
        #expect(worker.status == 0, "\(worker.err)")
        #expect(try db.execute("SELECT count(*) AS n FROM isomine.job_events WHERE job_id = \(id) AND type = 'collapse.warning'").int(0, "n") == 1)
        let warning = try #require(receiver.requests().first)
        #expect(receiver.requests().count == 1 && warning["valid"] == .bool(true) && warning["report_exists"] == .bool(true))
        guard case .string(let summary)? = warning["payload"]?["summary"] else { Issue.record("no summary"); return }
        #expect(summary.contains("may be collapsing: warning at step") && summary.contains("of 150") && summary.contains("collapse_risk"), "\(summary)")
        let result = try db.execute("SELECT (result->'warning'->>'step')::integer AS step FROM isomine.jobs WHERE id = \(id)")
        #expect(try result.int(0, "step") == (warning["payload"]?["data"]?["step"]).flatMap { if case .number(let d) = $0 { return Int(d) } else { return nil } })
    }

    /// A run that acts on its warning says so in the event: `data.on_warning` holds what it did (the
    /// record its result keeps) and the summary ends with it; a run that stops on it says that.
    @Test func theWarningEventSaysWhatTheRunDidOnIt() throws {
        let hook = try WebhookScratch(events: ["collapse.warning"])
        let scratch = hook.scratch, db = hook.db, receiver = hook.receiver
        let base = #""kind":"train","dataset":{"type":"digits"},"model":{"hidden":[128],"embedding_dim":2},"sampler":{"classes_per_batch":10,"samples_per_class":32},"optimizer":{"learning_rate":0.05},"steps":60,"eval_every":30,"warning":{"stride":5},"estimators":{"probe_size":64,"iterations":10,"final_iterations":10}"#
        let switching = try JobQueue.enqueue(db, kind: "train", spec: "{\(base),\"name\":\"switching\",\"on_warning\":{\"action\":\"switch_miner\"}}")
        let stopping = try JobQueue.enqueue(db, kind: "train", spec: "{\(base),\"name\":\"stopping\",\"on_warning\":{\"action\":\"stop\"}}")
        let plain = try JobQueue.enqueue(db, kind: "train", spec: "{\(base),\"name\":\"plain\"}")
        let worker = try IsomineBinary.run(["worker", "--exit-when-idle"], database: scratch.name)
        #expect(worker.status == 0, "\(worker.err)")
        // One collapse.warning per run, delivered: the payload by the run's name.
        for job in [switching, stopping, plain] {
            #expect(try db.execute("SELECT count(*) AS n FROM isomine.job_events WHERE job_id = \(job) AND type = 'collapse.warning'").int(0, "n") == 1)
        }
        #expect(receiver.requests().count == 3 && receiver.requests().allSatisfy { $0["valid"] == .bool(true) })
        func event(_ name: String) throws -> JSONValue {
            try #require(receiver.requests().first { $0["payload"]?["data"]?["name"] == .string(name) }?["payload"])
        }
        let switched = try event("switching")
        let record = try #require(switched["data"]?["on_warning"])
        #expect(record["action"] == .string("switch_miner") && record["miner"] == .string("collapse-aware") && record["previous_miner"] == .string("batch-hard"))
        let stored = try db.execute("SELECT result->'on_warning'->>'warned_at' AS w, result->'on_warning'->>'resumed_from' AS r FROM isomine.jobs WHERE id = \(switching)")
        let warnedAt = try #require(try stored.int(0, "w")), resumedFrom = try #require(try stored.int(0, "r"))
        #expect(record["warned_at"] == .number(Double(warnedAt)) && record["resumed_from"] == .number(Double(resumedFrom)))
        guard case .string(let summary)? = switched["summary"] else { Issue.record("no summary"); return }
        #expect(summary.contains("may be collapsing") && summary.contains("on_warning: switched miner batch-hard → collapse-aware"), "\(summary)")
        let stopped = try event("stopping")
        #expect(stopped["data"]?["on_warning"]?["action"] == .string("stop"))
        guard case .string(let stopSummary)? = stopped["summary"] else { Issue.record("no summary"); return }
        #expect(stopSummary.contains("on_warning: stopped the run at step"), "\(stopSummary)")
        let none = try event("plain")
        #expect(none["data"]?["on_warning"] == nil)
        guard case .string(let plainSummary)? = none["summary"] else { Issue.record("no summary"); return }
        #expect(!plainSummary.contains("on_warning"), "\(plainSummary)")
    }

    /// A run that warns, is stopped and resumed, then collapses: the receiver gets collapse.warning once,
    /// before collapse.detected, and nothing twice across the resume.
    @Test func warningIsDeliveredBeforeTheCollapseOnceAcrossAResume() throws {
        let hook = try WebhookScratch(events: ["collapse.warning", "collapse.detected"])
        let scratch = hook.scratch, db = hook.db, receiver = hook.receiver
        let spec = #"{"kind":"train","dataset":{"type":"digits"},"model":{"hidden":[128],"embedding_dim":2},"sampler":{"classes_per_batch":10,"samples_per_class":32},"optimizer":{"learning_rate":0.2},"steps":90,"eval_every":30,"warning":{"stride":2},"checkpoint_every":10,"estimators":{"probe_size":64,"iterations":10,"final_iterations":10}}"#
        let id = try JobQueue.enqueue(db, kind: "train", spec: spec)
        // First attempt, in-process: stopped as on SIGTERM after about 20 steps, warned, not yet evaluated collapsed.
        var polls = 0
        let first = Worker(db: db, owner: "first", runner: Runner(), shuttingDown: { polls += 1; return polls > 20 })
        first.childExecutable = nil
        #expect(try first.runOne() == id)
        #expect(try state(db, id) == "queued")
        func events(_ type: String) throws -> Int {
            try count(db, "SELECT count(*) AS n FROM isomine.job_events WHERE job_id = \(id) AND type = \(type)")
        }
        #expect(try events("collapse.warning") == 1 && events("collapse.detected") == 0)
        // A worker process resumes it to the end and delivers both.
        let worker = try IsomineBinary.run(["worker", "--exit-when-idle"], database: scratch.name)
        #expect(worker.status == 0, "\(worker.err)")
        #expect(try state(db, id) == "succeeded")
        #expect(try db.execute("SELECT (result->>'resumed_from_step')::integer AS s FROM isomine.jobs WHERE id = \(id)").int(0, "s") ?? 0 > 0)
        #expect(try events("collapse.warning") == 1 && events("collapse.detected") == 1)
        let types = receiver.requests().compactMap { request -> String? in
            if case .string(let t)? = request["payload"]?["type"] { return t } else { return nil }
        }
        #expect(types == ["collapse.warning", "collapse.detected"])
    }
}

@Suite struct SweepCellsWarningTests {
    /// Through the worker, `isomine jobs show ID --cells` prints the per-cell warning columns and the
    /// warning summaries of a finished sweep.
    @Test func jobsShowCellsPrintsTheWarningSummary() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let spec = #"{"kind":"sweep","base":{"kind":"train","dataset":{"type":"digits"},"model":{"hidden":[64]},"sampler":{"classes_per_batch":10,"samples_per_class":32},"optimizer":{"learning_rate":0.2},"steps":40,"eval_every":20,"warning":{"stride":2},"estimators":{"probe_size":64,"iterations":5,"final_iterations":5}},"grid":{"model.embedding_dim":[2,16]}}"#
        let id = try JobQueue.enqueue(db, kind: "sweep", spec: spec)
        let worker = try IsomineBinary.run(["worker", "--exit-when-idle"], database: scratch.name)
        #expect(worker.status == 0, "\(worker.err)")
        let shown = try IsomineBinary.run(["jobs", "show", String(id), "--cells"], database: scratch.name)
        #expect(shown.status == 0, "\(shown.err)")
        #expect(shown.out.contains("warned_before") && shown.out.contains("\nwarning: ") && shown.out.contains("\nseries rule on the evaluations' probes: "), "\(shown.out)")
    }
}

@Suite struct WebhookCLITests {
    @Test func addListTestRemove() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let bad = try IsomineBinary.run(["webhooks", "add", "https://h.example.org/x", "--events", "job.succeeded,job.exploded"], database: scratch.name)
        #expect(bad.status == 2 && bad.err.contains("--events: unknown event 'job.exploded'"))
        let badSecret = try IsomineBinary.run(["webhooks", "add", "https://h.example.org/x", "--events", "job.dead", "--secret", "hunter2"], database: scratch.name)
        #expect(badSecret.status == 2 && badSecret.err.contains("--secret: must be whsec_") && !badSecret.err.contains("hunter2"))
        let added = try IsomineBinary.run(["webhooks", "add", "https://h.example.org/x", "--events", "job.dead,report.ready", "--attach-report"], database: scratch.name)
        #expect(added.status == 0 && added.out.hasPrefix("endpoint 1\nsecret whsec_"))
        let secret = String(added.out.split(separator: "\n")[1].split(separator: " ")[1])
        #expect((try? WebhookSecret(secret)) != nil)
        let list = try IsomineBinary.run(["webhooks", "list"], database: scratch.name)
        #expect(list.out.contains("job.dead,report.ready") && list.out.contains("https://h.example.org/x") && !list.out.contains("whsec_"))
        #expect(list.out.contains("  format  ") && list.out.contains(" standard "))
        let test = try IsomineBinary.run(["webhooks", "test", "1"], database: scratch.name)
        #expect(test.status == 0 && test.out.hasPrefix("queued msg_"))
        #expect(try count(db, "SELECT count(*) AS n FROM isomine.webhook_deliveries WHERE event_type = 'webhook.test' AND state = 'pending'") == 1)
        let deliveries = try IsomineBinary.run(["webhooks", "deliveries"], database: scratch.name)
        #expect(deliveries.out.contains("webhook.test") && deliveries.out.contains("pending"))
        #expect(try IsomineBinary.run(["webhooks", "remove", "1"], database: scratch.name).status == 0)
        #expect(try IsomineBinary.run(["webhooks", "remove", "1"], database: scratch.name).status == 1)
        #expect(try count(db, "SELECT count(*) AS n FROM isomine.webhook_deliveries") == 0)
    }
}
