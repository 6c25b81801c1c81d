// What operators use: named queues, `status --json`, `jobs prune`, and clear errors for a database that
// was never migrated, a bad SQL enqueue and bad options.
import Foundation
import TestSupport
import Testing
import Linalg
import Datasets
import Jobs
@testable import Postgres
@testable import Queue
@testable import Webhooks
@testable import Workers

@Suite struct OperatorTests {
    /// A small two-class checkpoint (6 points in R²) and its labels as NPY.
    static func twoClassCheckpoint() -> (Matrix<Double>, [UInt8]) {
        var m = Matrix<Double>(rows: 6, cols: 2)
        for i in 0..<6 { m[i, 0] = Double(i % 2) * 4 + Double(i) * 0.1; m[i, 1] = Double(i) * 0.2 }
        return (m, NPYWriter.encode(labels: (0..<6).map { $0 % 2 }))
    }

    @Test func namedQueuesRouteJobsToTheWorkersThatServeThem() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let plain = try JobQueue.enqueue(db, kind: "analyze", spec: quickAnalyze)
        let gpu = try JobQueue.enqueue(db, kind: "analyze", spec: quickAnalyze, queue: "gpu")
        let fromSpec = try JobQueue.enqueue(db, kind: "analyze", spec: #"{"kind":"analyze","dataset":{"type":"toy5"},"iterations":3,"queue":"gpu"}"#)
        #expect(try db.execute("SELECT queue FROM isomine.jobs WHERE id = \(fromSpec)").string(0, "queue") == "gpu")
        let w = try IsomineBinary.run(["worker", "--exit-when-idle"], database: scratch.name)
        #expect(w.status == 0)
        #expect(try state(db, plain) == "succeeded" && state(db, gpu) == "queued" && state(db, fromSpec) == "queued")
        let g = try IsomineBinary.run(["worker", "--exit-when-idle", "--queues", "gpu,other"], database: scratch.name)
        #expect(g.status == 0)
        #expect(try state(db, gpu) == "succeeded" && state(db, fromSpec) == "succeeded")
        // A sweep's runs go to its queue.
        let sweep = try JobQueue.enqueue(db, kind: "sweep", spec: #"{"kind":"sweep","queue":"gpu","base":{"kind":"train","dataset":{"type":"toy20"},"sampler":{"classes_per_batch":2,"samples_per_class":2},"steps":3,"estimators":{"enabled":false}},"grid":{"seed":[1,2]}}"#)
        let gpuWorker = try IsomineBinary.run(["worker", "--exit-when-idle", "--queues", "gpu"], database: scratch.name)
        // Its log names every job: the sweep left waiting for its runs, then ended; each run claimed and ended.
        let log = gpuWorker.err.split(separator: "\n").map(String.init)
        #expect(log.contains { $0.contains("job=\(sweep) ") && $0.hasSuffix(" left") && $0.contains("outcome=waiting") }, "\(gpuWorker.err)")
        #expect(log.contains { $0.contains("job=\(sweep) ") && $0.hasSuffix(" ended") && $0.contains("outcome=succeeded") }, "\(gpuWorker.err)")
        let runsEnded: Int = log.reduce(0) { n, line in line.contains("kind=train") && line.hasSuffix(" ended") && line.contains("outcome=succeeded") ? n + 1 : n }
        #expect(runsEnded == 2, "\(gpuWorker.err)")
        #expect(try count(db, "SELECT count(*) AS n FROM isomine.jobs WHERE parent_id = \(sweep) AND queue = 'gpu' AND state = 'succeeded'") == 2)
        // Bad names are clear errors everywhere.
        let bad = try IsomineBinary.run(["worker", "--queues", "GPU!"], database: scratch.name)
        #expect(bad.status == 2 && bad.err.contains("--queues: 'GPU!' is not a queue name"), "\(bad.err)")
        #expect(throws: PGError.self) { try JobQueue.enqueue(db, kind: "analyze", spec: quickAnalyze, queue: "no spaces") }
        #expect(throws: SpecError(path: "spec.queue", "'A' is not a queue name; use 1 to 63 of a-z, 0-9, _ . - starting with a letter or digit")) {
            try JobSpec.parse(Data(#"{"kind":"analyze","dataset":{"type":"toy5"},"queue":"A"}"#.utf8))
        }
    }

    @Test func statusReportsQueuesWorkersAndFailingEndpoints() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        _ = try JobQueue.enqueue(db, kind: "analyze", spec: quickAnalyze, queue: "cpu")
        _ = try JobQueue.enqueue(db, kind: "analyze", spec: quickAnalyze, runAfter: "2999-01-01 00:00+00")
        try WorkerRegistry.register(db, id: "box:42", host: "box", pid: 42, queues: ["default", "cpu"], concurrency: 2)
        let endpoint = try WebhookStore.add(db, url: "https://u:pw@example.invalid/h", events: ["job.failed"], secret: WebhookSecret.generate(), attachReport: false)
        try db.execute("UPDATE isomine.webhook_endpoints SET enabled = false, disabled_reason = 'answered 410' WHERE id = \(endpoint)")
        let r = try IsomineBinary.run(["status", "--json"], database: scratch.name)
        #expect(r.status == 0, "\(r.err)")
        let s = try JSONValue.parse(Data(r.out.utf8))
        guard case .array(let counts)? = s["counts"], case .array(let workers)? = s["workers"], case .array(let failing)? = s["failing_endpoints"] else {
            Issue.record("missing keys: \(r.out)"); return
        }
        #expect(counts.contains { $0["queue"] == .string("cpu") && $0["state"] == .string("queued") && $0["jobs"] == .number(1) })
        #expect(counts.contains { $0["queue"] == .string("default") && $0["jobs"] == .number(1) })
        #expect(s["scheduled"] == .number(1) && s["retryable"] == .number(0))
        #expect(s["oldest_queued"]?["queue"] == .string("cpu"))
        #expect(workers.count == 1 && workers[0]["id"] == .string("box:42") && workers[0]["queues"] == .array([.string("default"), .string("cpu")]))
        #expect(failing.count == 1 && failing[0]["url"] == .string("https://u:***@example.invalid/h") && failing[0]["enabled"] == .bool(false))
        // Every listing goes through one table formatter: columns line up under their headers.
        let list = try IsomineBinary.run(["jobs", "list"], database: scratch.name)
        let lines = list.out.split(separator: "\n").map(String.init)
        #expect(list.status == 0 && lines.count == 3 && lines[0].hasPrefix("id  "))
        let column = lines[0].range(of: "queue")!.lowerBound.utf16Offset(in: lines[0])
        #expect(lines.dropFirst().allSatisfy { $0.count > column && $0[$0.index($0.startIndex, offsetBy: column - 1)] == " " && $0[$0.index($0.startIndex, offsetBy: column)] != " " }, "\(lines)")
        let text = try IsomineBinary.run(["status"], database: scratch.name)
        #expect(text.status == 0 && text.out.contains("live workers: 1") && !text.out.contains(":pw@"))
    }

    @Test func pruneRemovesEndedJobsAndWhatTheyOwnOnly() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let old = try JobQueue.enqueue(db, kind: "analyze", spec: quickAnalyze)
        let recent = try JobQueue.enqueue(db, kind: "analyze", spec: quickAnalyze)
        let running = try JobQueue.enqueue(db, kind: "analyze", spec: quickAnalyze)
        _ = try IsomineBinary.run(["worker", "--exit-when-idle"], database: scratch.name)
        try db.execute("UPDATE isomine.jobs SET state = 'running', lease_owner = 'x', finished_at = now() - interval '90 days' WHERE id = \(running)")
        try db.execute("UPDATE isomine.jobs SET finished_at = now() - interval '40 days' WHERE id = \(old)")
        #expect(try count(db, "SELECT count(*) AS n FROM isomine.artifacts WHERE job_id = \(old)") > 0)
        let r = try IsomineBinary.run(["jobs", "prune", "--older-than", "30d"], database: scratch.name)
        #expect(r.status == 0 && r.out == "pruned 1 jobs\n", "\(r.out) \(r.err)")
        #expect(try count(db, "SELECT count(*) AS n FROM isomine.jobs WHERE id = \(old)") == 0)
        for table in ["job_events", "metrics", "artifacts", "checkpoints"] {
            #expect(try count(db, "SELECT count(*) AS n FROM isomine.\(identifier: table) WHERE job_id = \(old)") == 0)
        }
        #expect(try state(db, recent) == "succeeded" && state(db, running) == "running")
        // A succeeded job keeps no checkpoint.
        #expect(try count(db, "SELECT count(*) AS n FROM isomine.checkpoints") == 0)
        let bad = try IsomineBinary.run(["jobs", "prune", "--older-than", "soon"], database: scratch.name)
        #expect(bad.status == 2 && bad.err.contains("--older-than: 'soon' is not a duration"), "\(bad.err)")
        let badState = try IsomineBinary.run(["jobs", "prune", "--older-than", "1d", "--state", "running"], database: scratch.name)
        #expect(badState.status == 2 && badState.err.contains("--state: 'running' is not an ended state"))
    }

    @Test func aRunningAnalysisShowsItsPhaseInJobsList() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        // 4,000 classes of 5 in R⁶⁴: a few seconds, most of them in the estimators on the 2,000-point probe.
        let id = try JobQueue.enqueue(db, kind: "analyze", spec: #"{"kind":"analyze","dataset":{"type":"blobs","classes":4000,"per_class":5,"dim":64}}"#)
        let worker = try IsomineBinary.start(["worker", "--exit-when-idle"], database: scratch.name)
        defer { if worker.isRunning { worker.interrupt(); try? worker.wait(within: 60) } }
        var seen = Set<String>()
        let deadline = Date().addingTimeInterval(120)
        while worker.isRunning && Date() < deadline {
            let list = try IsomineBinary.run(["jobs", "list"], database: scratch.name)
            for phase in ["load", "retrieval metrics", "losses", "estimators"] where list.out.contains(" running ") && list.out.contains(phase) {
                seen.insert(phase)
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
        try worker.wait()
        #expect(try state(db, id) == "succeeded")
        #expect(seen.contains("estimators"), "phases seen in jobs list: \(seen)")
        // The phase stays on the row (jobs show) and no longer shows in the list once the job ended.
        #expect(try db.execute("SELECT phase FROM isomine.jobs WHERE id = \(id)").string(0, "phase") == "estimators")
        #expect(!(try IsomineBinary.run(["jobs", "list"], database: scratch.name).out.contains("estimators")))
    }

    @Test func seriesPruneRemovesIdleSeriesWithWhatTheyOwnOnly() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let (m, labels) = OperatorTests.twoClassCheckpoint()
        let row = #"[{"step": 0, "loss": 0.1, "active_fraction": 0.5, "mean_positive": 1, "mean_negative": 1.2, "gap": 0.2, "batch_spread": 2}]"#
        // idle-monitor: a monitor with a row and an event, idle 100 days. idle-steps: a checkpoint series whose
        // step ended 100 days ago. busy: idle as long but a step still queued. fresh: a monitor with a row today.
        for name in ["idle-monitor", "fresh"] {
            _ = try db.execute("SELECT isomine.start_monitor(\(name), '{\"margin\": 0.2}')")
            _ = try db.execute("SELECT isomine.submit_signals(\(name), \(PGJSON(text: row)))")
        }
        _ = try db.execute("INSERT INTO isomine.job_events (series, type, data) VALUES ('idle-monitor', 'collapse.warning', '{}')")
        let idleStep = try SeriesStore.submit(db, series: "idle-steps", step: 0, embeddings: NPYWriter.encode(m), labels: labels, options: .object([:]))
        var other = m
        other[0, 0] = 7
        let busyStep = try SeriesStore.submit(db, series: "busy", step: 0, embeddings: NPYWriter.encode(other), labels: labels, options: .object([:]))
        try db.execute("UPDATE isomine.jobs SET state = 'succeeded', finished_at = now() - interval '100 days' WHERE id = \(idleStep)")
        try db.execute("UPDATE isomine.series SET created_at = now() - interval '100 days' WHERE name <> 'fresh'")
        try db.execute("UPDATE isomine.series_signals SET received_at = now() - interval '100 days' WHERE series = 'idle-monitor'")
        try db.execute("UPDATE isomine.jobs SET created_at = now() - interval '100 days'")
        try db.execute("UPDATE isomine.inputs SET created_at = now() - interval '100 days'")
        let r = try IsomineBinary.run(["series", "prune", "--older-than", "90d"], database: scratch.name)
        #expect(r.status == 0 && r.out == "pruned 2 series\n", "\(r.out) \(r.err)")
        #expect(try db.execute("SELECT name FROM isomine.series ORDER BY name").column("name", as: String.self) == ["busy", "fresh"])
        #expect(try count(db, "SELECT count(*) AS n FROM isomine.series_signals WHERE series = 'idle-monitor'") == 0)
        #expect(try count(db, "SELECT count(*) AS n FROM isomine.job_events WHERE series = 'idle-monitor' OR job_id = \(idleStep)") == 0)
        #expect(try count(db, "SELECT count(*) AS n FROM isomine.jobs WHERE id = \(idleStep)") == 0)
        #expect(try state(db, busyStep) == "queued")
        #expect(try count(db, "SELECT count(*) AS n FROM isomine.series_signals WHERE series = 'fresh'") == 1)
        // The pruned step's inputs went with it; the queued step's stay.
        #expect(try count(db, "SELECT count(*) AS n FROM isomine.inputs") == 2)
        let bad = try IsomineBinary.run(["series", "prune", "--older-than", "later"], database: scratch.name)
        #expect(bad.status == 2 && bad.err.contains("--older-than: 'later' is not a duration"), "\(bad.err)")
    }

    @Test func pruneDeletesStoredInputsOnlyWhenNoJobNamesThem() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let (m, labels) = OperatorTests.twoClassCheckpoint()
        let kept = try SeriesStore.submit(db, series: "keep", step: 0, embeddings: NPYWriter.encode(m), labels: labels, options: .object([:]))
        var other = m
        other[0, 0] = 99
        let orphan = try SeriesStore.storeInput(db, NPYWriter.encode(other), format: .npy, what: "orphan")
        try db.execute("UPDATE isomine.inputs SET created_at = now() - interval '40 days'")
        let r = try IsomineBinary.run(["jobs", "prune", "--older-than", "30d"], database: scratch.name)
        #expect(r.status == 0, "\(r.err)")
        // The orphan is gone; the queued job's two inputs stay.
        #expect(try count(db, "SELECT count(*) AS n FROM isomine.inputs WHERE sha256 = \(orphan)") == 0)
        #expect(try count(db, "SELECT count(*) AS n FROM isomine.inputs") == 2)
        #expect(try state(db, kept) == "queued")
    }

    @Test func clearErrorsForAnUnmigratedDatabaseAndBadEnqueues() throws {
        let scratch = try ScratchDatabase()
        for command in [["jobs", "list"], ["status"]] {
            let r = try IsomineBinary.run(command, database: scratch.name)
            #expect(r.status == 1 && r.err.contains("run `isomine migrate` first"), "\(command): \(r.err)")
        }
        let db = try scratch.connectMigrated()
        #expect {
            try db.execute("SELECT isomine.enqueue('trian', '{}'::jsonb)")
        } throws: { error in
            (error as? PGError)?.message == "isomine.enqueue: unknown job kind 'trian'; expected train, analyze or sweep"
        }
        #expect {
            try db.execute("SELECT isomine.enqueue('train', '[1]'::jsonb)")
        } throws: { error in
            (error as? PGError)?.message == "isomine.enqueue: the spec must be a JSON object"
        }
        // A bad series is refused with the documented sentence (it used to be an internal type error).
        #expect {
            try db.execute(#"SELECT isomine.enqueue('analyze', '{"kind":"analyze","series":"../evil","step":1,"dataset":{"type":"toy20"}}')"#)
        } throws: { error in
            (error as? PGError)?.message.hasPrefix("isomine.enqueue: series name '../evil' is not valid") == true
        }
        #expect {
            try db.execute(#"SELECT isomine.enqueue('analyze', '{"kind":"analyze","series":"run-1","step":-1,"dataset":{"type":"toy20"}}')"#)
        } throws: { error in
            (error as? PGError)?.message == #"isomine.enqueue: a series step needs "step", an integer from 0 to 2147483647"#
        }
        // A number a double cannot hold is refused at enqueue, named by its path: it used to be stored, fail
        // when claimed ("spec: is not valid JSON") and leave a job whose spec nothing could read back.
        #expect {
            try db.execute(#"SELECT isomine.enqueue('sweep', '{"kind":"sweep","base":{"kind":"train","dataset":{"type":"toy20"}},"grid":{"learning_rate":[0.1, -1e-400]}}')"#)
        } throws: { error in
            (error as? PGError)?.message.hasPrefix("isomine.enqueue: spec.grid.learning_rate[1]: the number -1.000e-400 is outside what isomine reads as a double") == true
        }
        #expect {
            try db.execute(#"SELECT isomine.enqueue('train', '{"kind":"train","dataset":{"type":"toy20"},"steps":1e400}')"#)
        } throws: { error in
            (error as? PGError)?.message.hasPrefix("isomine.enqueue: spec.steps: the number 1.000e+400 is outside") == true
        }
        #expect(try db.execute("SELECT count(*) AS n FROM isomine.jobs").int(0, "n") == 0)
        let events = try IsomineBinary.run(["webhooks", "add", "http://127.0.0.1:9/h", "--events", "report.readyy"], database: scratch.name)
        #expect(events.status == 2 && events.err.contains("unknown event 'report.readyy'"), "\(events.status) \(events.err)")
        let memory = try IsomineBinary.run(["worker", "--job-memory", "64MiB"], database: scratch.name)
        #expect(memory.status == 2 && memory.err.contains("--job-memory: 64MiB is below the 512 MiB"), "\(memory.err)")
        let malformed = try IsomineBinary.run(["worker", "--job-memory", "lots"], database: scratch.name)
        #expect(malformed.status == 2 && malformed.err.contains("--job-memory: 'lots' is not a size"))
    }
}
