// Series: checkpoints of a training run submitted through the Python client and the CLI (inputs stored
// in PostgreSQL, the worker's data root empty), run by a worker, listed by `isomine series show`, with
// metric rows per step and exactly one collapse.detected (summary, report link that resolves) at a real
// loopback receiver; and every bad submission refused with a clear error, nothing stored lost.
import Foundation
import TestSupport
import Testing
import Datasets
import Jobs
import Linalg
@testable import Postgres
@testable import Queue
@testable import Webhooks

/// An empty data root for the workers of these tests: every input must come from the database.
private let emptyDataRoot = TempFolder("empty")

@Suite struct SeriesTests {
    @Test func pythonClientSeriesEndToEnd() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let secret = WebhookSecret.generate()
        let receiver = try Receiver(secret: secret), slack = try Receiver(secret: secret)
        _ = try WebhookStore.add(db, url: receiver.url, events: ["collapse.detected"], secret: secret, attachReport: false, allowPrivateNetwork: true)
        _ = try WebhookStore.add(db, url: slack.url, events: ["collapse.detected"], secret: secret, attachReport: false, format: .slack, allowPrivateNetwork: true)

        let submitted = try runPython(URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/submit_series.py").path,
                                      ["dbname=\(scratch.name)", "ckpt-run"])
        #expect(submitted.status == 0, "\(submitted.err)")
        guard case .array(let ids)? = try? JSONValue.parse(Data(submitted.out.utf8)), ids.count == 4 else {
            Issue.record("the client printed \(submitted.out)"); return
        }
        #expect(!submitted.err.contains("judged as an untrained network"), "a series started at step 0: \(submitted.err)")
        // A series whose first step is after 0: its baseline is judged untrained, which a trained checkpoint
        // is not. The client logs it once (a warning), not for the next step nor for a step marked untrained.
        let late = try runPython(URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/submit_late_series.py").path,
                                 ["dbname=\(scratch.name)"])
        #expect(late.status == 0, "\(late.err)")
        #expect(late.err.components(separatedBy: "judged as an untrained network").count == 2
                && late.err.contains("step 5 is the first step of series 'late-run', its baseline"), "\(late.err)")
        let empty = TempFolder("empty")
        let worker = try IsomineBinary.run(["worker", "--exit-when-idle"], database: scratch.name, environment: ["ISOMINE_DATA_ROOT": empty.path])
        #expect(worker.status == 0, "\(worker.err)")
        // The worker's log at its default level: a line per job claimed and ended, naming the series and
        // step (an ended one with its verdict), the event it recorded and the webhooks it delivered.
        let log = worker.err.split(separator: "\n").map(String.init)
        for (step, id) in ids.enumerated() {
            guard case .number(let job) = id else { continue }
            let lines = log.filter { $0.contains("job=\(Int(job)) ") && $0.contains("name=ckpt-run epoch \(step) (series ckpt-run step \(step))") }
            #expect(lines.contains { $0.hasSuffix(" claimed") }, "no claimed line for step \(step) in \(worker.err)")
            #expect(lines.contains { $0.hasSuffix(" ended") && $0.contains("outcome=succeeded") && $0.contains("verdict=") },
                    "no ended line for step \(step) in \(worker.err)")
        }
        #expect(log.filter { $0.hasSuffix(" event recorded") && $0.contains("type=collapse.detected") && $0.contains("series=ckpt-run") }.count == 1,
                "\(worker.err)")
        #expect(log.filter { $0.hasSuffix(" webhook delivered") }.count == 2, "\(worker.err)")
        // `jobs list` names the steps too.
        let listed = try IsomineBinary.run(["jobs", "list"], database: scratch.name)
        for step in 0..<4 { #expect(listed.out.contains("ckpt-run epoch \(step) (series ckpt-run step \(step))"), "\(listed.out)") }

        let show = try IsomineBinary.run(["series", "show", "ckpt-run", "--json"], database: scratch.name)
        let series = try JSONValue.parse(Data(show.out.utf8))
        guard case .array(let steps)? = series["steps"] else { Issue.record("no steps: \(show.out) \(show.err)"); return }
        #expect(steps.count == 4)
        #expect(steps.map { $0["state"] } == Array(repeating: .string("succeeded"), count: 4))
        #expect(steps[0]["verdict"] == .string("healthy") && steps[1]["verdict"] == .string("healthy"))
        #expect(steps[3]["verdict"] == .string("collapsed"))
        #expect(steps[0]["relative_spread"] == .number(1), "the baseline step is its own reference")
        let firstCollapsed = try #require(steps.firstIndex { $0["verdict"] == .string("collapsed") })
        #expect(series["collapse_step"] == .number(Double(firstCollapsed)))
        // Metric rows per step, at the series step.
        for (step, id) in ids.enumerated() {
            guard case .number(let job) = id else { continue }
            let n = try db.execute("SELECT count(*) AS n FROM isomine.metrics WHERE job_id = \(Int(job)) AND step = \(step)::integer").int(0, "n") ?? 0
            #expect(n >= 10, "job \(Int(job)) has \(n) metric rows at step \(step)")
        }
        let table = try IsomineBinary.run(["series", "show", "ckpt-run"], database: scratch.name)
        #expect(table.out.contains("distances_collapsed") && table.out.contains("collapsed (distances; ranking intact)"))
        #expect(table.out.split(separator: "\n").count == 6)

        // Exactly one collapse.detected, with a summary and a link to a page that exists.
        let events = receiver.requests().filter { $0["payload"]?["type"] == .string("collapse.detected") }
        #expect(events.count == 1)
        let event = try #require(events.first)
        #expect(event["valid"] == .bool(true))
        guard case .string(let summary)? = event["payload"]?["summary"] else { Issue.record("no summary"); return }
        #expect(summary.contains("series \"ckpt-run\"") && summary.contains("collapsed at step \(firstCollapsed)") && summary.contains("distances_collapsed"))
        #expect(summary.contains("verdict collapsed (distances; ranking intact)"), "\(summary)")
        #expect(event["payload"]?["data"]?["series"] == .string("ckpt-run"))
        for key in ["report_url", "job_report_url"] {
            guard case .string(let url)? = event["payload"]?["data"]?[key], url.hasPrefix("file://") else { Issue.record("no \(key)"); continue }
            #expect(FileManager.default.fileExists(atPath: String(url.dropFirst("file://".count))), "\(key) \(url) does not exist")
        }
        // The Slack-format endpoint got {"text": summary …}, signed like the rest.
        let slackEvents = slack.requests()
        #expect(slackEvents.count == 1 && slackEvents.first?["valid"] == .bool(true))
        guard case .string(let text)? = slackEvents.first?["payload"]?["text"] else { Issue.record("no Slack text"); return }
        #expect(text.hasPrefix(summary))
        #expect(try db.execute("SELECT count(*) AS n FROM isomine.job_events WHERE type = 'collapse.detected'").int(0, "n") == 1)

        // Each step's page is titled with the series and step and links back to the series' page.
        if case .number(let job)? = ids.last {
            let stepPage = (try? String(contentsOfFile: reportsRoot(scratch.name) + "/job-\(Int(job))/index.html", encoding: .utf8)) ?? ""
            #expect(stepPage.contains("<h1>series ckpt-run · step 3</h1>") && stepPage.contains("<a href=\"../series-ckpt-run/index.html\">series ckpt-run: every step</a>"),
                    "\(stepPage.prefix(1200))")
        }

        // The client reads the series back too.
        let read = try runPython("-c", ["import isomine_client as c, json, sys; s = c.series(sys.argv[1], 'ckpt-run'); print(len(s['steps']), s['collapse_step'])",
                                        "dbname=\(scratch.name)"])
        #expect(read.out.trimmingCharacters(in: .whitespacesAndNewlines) == "4 \(firstCollapsed)", "\(read.err)")
    }

    /// An untrained step 0 at chance (flagged, or only the series' baseline) is partial, never collapsed:
    /// the one collapse.detected is the real one, at step 2.
    @Test func anUntrainedBaselineNeverAlertsAndTheRealCollapseIsAnnounced() throws {
        let hook = try WebhookScratch(events: ["collapse.detected"])
        let scratch = hook.scratch, db = hook.db, receiver = hook.receiver
        let submitted = try runPython(URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/submit_untrained_series.py").path,
                                      ["dbname=\(scratch.name)"])
        #expect(submitted.status == 0, "\(submitted.err)")
        let worker = try IsomineBinary.run(["worker", "--exit-when-idle"], database: scratch.name, environment: ["ISOMINE_DATA_ROOT": emptyDataRoot.path])
        #expect(worker.status == 0, "\(worker.err)")
        for name in ["untrained-flag", "untrained-baseline"] {
            let show = try IsomineBinary.run(["series", "show", name, "--json"], database: scratch.name)
            let series = try JSONValue.parse(Data(show.out.utf8))
            guard case .array(let steps)? = series["steps"], steps.count == 3 else { Issue.record("\(name): \(show.out) \(show.err)"); continue }
            #expect(steps[0]["verdict"] == .string("partial") && steps[0]["headline"] == .string("partial (untrained)"), "\(name): \(steps[0])")
            #expect(steps[1]["verdict"] == .string("healthy"), "\(name): \(steps[1])")
            guard case .string(let headline)? = steps[2]["headline"] else { Issue.record("\(name): no headline"); continue }
            #expect(steps[2]["verdict"] == .string("collapsed") && headline.hasPrefix("collapsed (distances"), "\(name): \(steps[2])")
            #expect(series["collapse_step"] == .number(2))
            let events = receiver.requests().filter { $0["payload"]?["data"]?["series"] == .string(name) }
            #expect(events.count == 1 && events.first?["payload"]?["data"]?["step"] == .number(2), "\(name): \(events.count) events")
        }
        #expect(try db.execute("SELECT count(*) AS n FROM isomine.job_events WHERE type = 'collapse.detected'").int(0, "n") == 2)
    }

    /// Slack-format bodies escape what users control: a hostile job name can neither @-mention a channel
    /// nor plant a disguised link; the standard body keeps it as JSON text.
    @Test func aHostileNameArrivesEscapedInSlackBodies() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let secret = WebhookSecret.generate()
        let slack = try Receiver(secret: secret), standard = try Receiver(secret: secret)
        _ = try WebhookStore.add(db, url: slack.url, events: ["job.succeeded"], secret: secret, attachReport: false, format: .slack, allowPrivateNetwork: true)
        _ = try WebhookStore.add(db, url: standard.url, events: ["job.succeeded"], secret: secret, attachReport: false, allowPrivateNetwork: true)
        let hostile = "<!channel> <https://evil.example/|Click: report> & more"
        let spec = try JSONValue.object(["kind": .string("analyze"), "name": .string(hostile), "dataset": .object(["type": .string("toy20")]),
                                         "iterations": .number(20)]).compactText()
        _ = try JobQueue.enqueue(db, kind: "analyze", spec: spec)
        let worker = try IsomineBinary.run(["worker", "--exit-when-idle"], database: scratch.name)
        #expect(worker.status == 0, "\(worker.err)")
        guard case .string(let text)? = slack.requests().first?["payload"]?["text"] else { Issue.record("no Slack body"); return }
        #expect(text.contains("&lt;!channel&gt; &lt;https://evil.example/|Click: report&gt; &amp; more"), "\(text)")
        #expect(!text.contains("<!channel>") && !text.contains("<https://evil"))
        guard case .string(let summary)? = standard.requests().first?["payload"]?["summary"] else { Issue.record("no standard body"); return }
        #expect(summary.contains(hostile), "the standard format keeps the text as it is (JSON-escaped): \(summary)")
    }

    @Test func aCollapsedAnalysisOutsideASeriesAnnouncesItOnce() throws {
        let hook = try WebhookScratch(events: ["collapse.detected"])
        let scratch = hook.scratch, db = hook.db, receiver = hook.receiver
        // Normalised embeddings all within 1e-6 of one point of the sphere: judged against the sphere, collapsed.
        var m = Matrix<Double>(rows: 24, cols: 3)
        for i in 0..<24 { m[i, 0] = 1; m[i, 1] = Double(i) * 1e-7; m[i, 2] = Double(i % 5) * 1e-7 }
        let x = try SeriesStore.storeInput(db, NPYWriter.encode(m), format: .npy, what: "embeddings")
        let y = try SeriesStore.storeInput(db, NPYWriter.encode(labels: (0..<24).map { $0 % 3 }), format: .npy, what: "labels")
        let spec = #"{"kind":"analyze","dataset":{"type":"stored","features":"\#(x)","labels":"\#(y)"}}"#
        let collapsed = try JobQueue.enqueue(db, kind: "analyze", spec: spec)
        let healthy = try JobQueue.enqueue(db, kind: "analyze", spec: #"{"kind":"analyze","dataset":{"type":"toy20"}}"#)
        let worker = try IsomineBinary.run(["worker", "--exit-when-idle"], database: scratch.name, environment: ["ISOMINE_DATA_ROOT": emptyDataRoot.path])
        #expect(worker.status == 0, "\(worker.err)")
        #expect(try db.execute("SELECT result->>'verdict' AS v FROM isomine.jobs WHERE id = \(collapsed)").string(0, "v") == "collapsed")
        let events = try db.execute("SELECT job_id FROM isomine.job_events WHERE type = 'collapse.detected'")
        #expect(try events.column("job_id", as: Int.self) == [collapsed], "\(events) (healthy job \(healthy))")
        let request = try #require(receiver.requests().first)
        #expect(receiver.requests().count == 1 && request["report_exists"] == .bool(true))
        guard case .string(let summary)? = request["payload"]?["summary"] else { Issue.record("no summary"); return }
        #expect(summary.hasPrefix("job \(collapsed) (analyze) collapsed at step 0: verdict collapsed"), "\(summary)")
    }

    /// Points in 3 separated classes (4 each) in R⁴, and their labels, as NPY bytes.
    func arrays(rows: Int = 12) -> (embeddings: [UInt8], labels: [UInt8]) {
        var m = Matrix<Double>(rows: rows, cols: 4)
        for i in 0..<rows { for j in 0..<4 { m[i, j] = Double(i % 3) * 5 + Double((i * 7 + j * 3) % 5) * 0.1 } }
        return (NPYWriter.encode(m), NPYWriter.encode(labels: (0..<rows).map { $0 % 3 }))
    }

    @Test func cliSubmitWorksWithAnEmptyDataRootAndRefusesBadInput() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let folder = TempFolder("series"), dir = folder.path
        let (e, l) = arrays()
        _ = FileManager.default.createFile(atPath: dir + "/e.npy", contents: Data(e))
        _ = FileManager.default.createFile(atPath: dir + "/y.npy", contents: Data(l))
        let ok = try IsomineBinary.run(["submit", "--series", "cli-run", "--step", "0", dir + "/e.npy", dir + "/y.npy", "--margin", "0.1"], database: scratch.name)
        #expect(ok.status == 0, "\(ok.err)")
        let id = try #require(Int(ok.out.trimmingCharacters(in: .whitespacesAndNewlines)))
        // A step submitted without a name is listed by its series and step.
        let listed = try IsomineBinary.run(["jobs", "list"], database: scratch.name)
        #expect(listed.out.split(separator: "\n").contains { $0.hasPrefix("\(id) ") && $0.hasSuffix("series cli-run step 0") }, "\(listed.out)")
        #expect(!ok.err.contains("note:"), "a series started at step 0: \(ok.err)")
        // A series whose first step is a later one (epoch 5, the first checkpoint saved): its baseline is
        // judged untrained, which a trained checkpoint is not. Said on stderr, the job id alone on stdout;
        // not for a step given --untrained, nor for the steps after the baseline.
        let late = try IsomineBinary.run(["submit", "--series", "late-run", "--step", "5", dir + "/e.npy", dir + "/y.npy"], database: scratch.name)
        #expect(late.status == 0 && Int(late.out.trimmingCharacters(in: .whitespacesAndNewlines)) != nil, "\(late.out) \(late.err)")
        #expect(late.err.contains("note: step 5 is the first step of series 'late-run', its baseline, judged as an untrained network"), "\(late.err)")
        let next = try IsomineBinary.run(["submit", "--series", "late-run", "--step", "6", dir + "/e.npy", dir + "/y.npy"], database: scratch.name)
        #expect(next.status == 0 && !next.err.contains("note:"), "\(next.err)")
        let marked = try IsomineBinary.run(["submit", "--series", "late-untrained", "--step", "5", "--untrained", dir + "/e.npy", dir + "/y.npy"], database: scratch.name)
        #expect(marked.status == 0 && !marked.err.contains("note:"), "\(marked.err)")
        // series show says it too, for whoever reads the series later; not for a baseline marked untrained nor at step 0.
        let shown = try IsomineBinary.run(["series", "show", "late-run"], database: scratch.name)
        #expect(shown.status == 0 && shown.out.contains("note: the baseline, step 5, is the series' first step and is judged as an untrained network"), "\(shown.out) \(shown.err)")
        for other in ["late-untrained", "cli-run"] {
            let quiet = try IsomineBinary.run(["series", "show", other], database: scratch.name)
            #expect(quiet.status == 0 && !quiet.out.contains("note: the baseline"), "\(other): \(quiet.out)")
        }

        // Bad input: each a clear error naming the problem, exit 2, nothing queued.
        var wrongDtype = Matrix<Double>(rows: 12, cols: 4)
        wrongDtype[0, 0] = 1
        _ = FileManager.default.createFile(atPath: dir + "/labels-float.npy", contents: Data(NPYWriter.encode(wrongDtype)))
        _ = FileManager.default.createFile(atPath: dir + "/short.npy", contents: Data(NPYWriter.encode(labels: [0, 1, 2])))
        _ = FileManager.default.createFile(atPath: dir + "/flat.npy", contents: Data(NPYWriter.encode(labels: Array(0..<12))))
        let cases: [([String], String)] = [
            (["--series", "cli-run", "--step", "0", dir + "/e.npy", dir + "/y.npy"], "step 0 of series 'cli-run' was already submitted (job \(id))"),
            (["--series", "<b>x</b>", "--step", "1", dir + "/e.npy", dir + "/y.npy"], "is not a series name"),
            (["--series", "../etc", "--step", "1", dir + "/e.npy", dir + "/y.npy"], "is not a series name"),
            (["--series", "cli-run", "--step", "1", dir + "/e.npy", dir + "/labels-float.npy"], "labels must be a 1-D array"),
            (["--series", "cli-run", "--step", "1", dir + "/e.npy", dir + "/short.npy"], "has 3 labels but embeddings has 12 rows"),
            (["--series", "cli-run", "--step", "1", dir + "/flat.npy", dir + "/y.npy"], "2-D array"),
            (["--series", "cli-run", "--step", "1", dir + "/missing.npy", dir + "/y.npy"], "does not exist"),
            (["--series", "cli-run", "--step", "1", "--probe-size", "1", dir + "/e.npy", dir + "/y.npy"], "spec.probe_size"),
        ]
        for (arguments, message) in cases {
            let r = try IsomineBinary.run(["submit"] + arguments, database: scratch.name)
            #expect(r.status == 2 && r.err.contains(message), "\(arguments): \(r.status) \(r.err)")
        }
        // An upload over the cap (isomine.max_input_bytes, here set for the session through PGOPTIONS).
        let big = try IsomineBinary.run(["submit", "--series", "cli-run", "--step", "1", dir + "/e.npy", dir + "/y.npy"], database: scratch.name,
                                 environment: ["PGOPTIONS": "-c isomine.max_input_bytes=200"])
        #expect(big.status == 2 && big.err.contains("above the upload limit of 200 bytes"), "\(big.err)")
        // A session may lower the database's cap, never raise it (any role can SET a placeholder setting).
        try db.execute(PGQuery(unsafeSQL: "ALTER DATABASE \(scratch.name) SET isomine.max_input_bytes = '300'"))
        let raised = try IsomineBinary.run(["submit", "--series", "cli-run", "--step", "1", dir + "/e.npy", dir + "/y.npy"], database: scratch.name,
                                           environment: ["PGOPTIONS": "-c isomine.max_input_bytes=100000000"])
        try db.execute(PGQuery(unsafeSQL: "ALTER DATABASE \(scratch.name) RESET isomine.max_input_bytes"))
        #expect(raised.status == 2 && raised.err.contains("above the upload limit of 300 bytes"), "\(raised.err)")
        // By SQL, the same checks on raw bytes: not an NPY; a header claiming more rows than the bytes hold.
        #expect(throws: PGError.self) { try SeriesStore.submit(db, series: "sql-run", step: 0, embeddings: [1, 2, 3], labels: l, options: .object([:])) }
        do {
            _ = try SeriesStore.submit(db, series: "sql-run", step: 0, embeddings: e, labels: e, options: .object([:]))
            Issue.record("float labels were accepted")
        } catch let error as PGError {
            #expect(error.message.contains("labels: has dtype '<f8'; labels must be little-endian integers"), "\(error.message)")
        }
        do {
            _ = try SeriesStore.submit(db, series: "sql-run", step: 0, embeddings: e, labels: NPYWriter.encode(labels: [1, 2]), options: .object([:]))
            Issue.record("labels of another length were accepted")
        } catch let error as PGError {
            #expect(error.message.contains("embeddings have 12 rows but labels have 2"), "\(error.message)")
        }
        var truncated = e
        truncated.removeLast(16)
        do {
            _ = try SeriesStore.submit(db, series: "sql-run", step: 0, embeddings: truncated, labels: l, options: .object([:]))
            Issue.record("a truncated NPY was accepted")
        } catch let error as PGError {
            #expect(error.message.contains("needs 384 bytes, but the file holds 368"), "\(error.message)")
        }
        #expect(try db.execute("SELECT count(*) AS n FROM isomine.jobs WHERE series IN ('cli-run', 'sql-run')").int(0, "n") == 1)
        // Mixed-precision training's embeddings (float16) are taken as they are, by the CLI and by SQL.
        var halves = [Float]()
        for i in 0..<12 { for j in 0..<4 { halves.append(Float(i % 3 * 5) + Float((i * 7 + j * 3) % 5) / 8) } }
        _ = FileManager.default.createFile(atPath: dir + "/e16.npy", contents: Data(npy(descr: "<f2", shape: [12, 4], payload: float16Payload(halves))))
        let half = try IsomineBinary.run(["submit", "--series", "half-run", "--step", "0", dir + "/e16.npy", dir + "/y.npy"], database: scratch.name)
        #expect(half.status == 0, "\(half.err)")
        let halfSQL = try SeriesStore.submit(db, series: "half-run", step: 1, embeddings: npy(descr: "<f2", shape: [12, 4], payload: float16Payload(halves)),
                                             labels: l, options: .object([:]))
        // A Fortran-ordered big-endian file (np.save of a transposed array, byte-swapped): the CLI uploads
        // it in the layout the database takes.
        let columnMajor = (0..<48).map { k in Double(halves[(k % 12) * 4 + k / 12]) }
        let little = float64Payload(columnMajor)
        let swapped = little.indices.map { i in little[(i / 8) * 8 + 7 - i % 8] }
        _ = FileManager.default.createFile(atPath: dir + "/ef.npy", contents: Data(npy(descr: ">f8", shape: [12, 4], payload: swapped, fortran: true)))
        let layout = try IsomineBinary.run(["submit", "--series", "half-run", "--step", "2", dir + "/ef.npy", dir + "/y.npy"], database: scratch.name)
        #expect(layout.status == 0, "\(layout.err)")

        // The good submissions run with an empty data root.
        let worker = try IsomineBinary.run(["worker", "--exit-when-idle"], database: scratch.name, environment: ["ISOMINE_DATA_ROOT": emptyDataRoot.path])
        #expect(worker.status == 0)
        let row = try db.execute("SELECT state, spec->>'margin' AS margin, result->'series'->>'baseline_step' AS baseline FROM isomine.jobs WHERE id = \(id)")
        #expect(try row.string(0, "state") == "succeeded" && row.string(0, "margin") == "0.1" && row.string(0, "baseline") == "0")
        #expect(try db.execute("SELECT count(*) AS n FROM isomine.jobs WHERE series = 'half-run' AND state = 'succeeded' AND result->'final'->'eval'->>'precision_at_1' = '1'").int(0, "n") == 3,
                "float16 steps \(halfSQL) and its CLI twin analysed, and the Fortran-ordered big-endian one")

        // A stored input deleted before its job runs: the job fails with a clear error; the rest stays.
        let (e2, l2) = arrays(rows: 15)
        let second = try SeriesStore.submit(db, series: "cli-run", step: 1, embeddings: e2, labels: l2, options: .object([:]))
        let features = try #require(try db.execute("SELECT spec->'dataset'->>'features' AS f FROM isomine.jobs WHERE id = \(second)").string(0, "f"))
        try db.execute("DELETE FROM isomine.inputs WHERE sha256 = \(features)")
        _ = try IsomineBinary.run(["worker", "--exit-when-idle"], database: scratch.name, environment: ["ISOMINE_DATA_ROOT": emptyDataRoot.path])
        let failed = try db.execute("SELECT state, last_error FROM isomine.jobs WHERE id = \(second)")
        #expect(try failed.string(0, "state") == "failed")
        #expect(try failed.string(0, "last_error")?.contains("stored input \(features) is not in the database") == true)
        #expect(try db.execute("SELECT state FROM isomine.jobs WHERE id = \(id)").string(0, "state") == "succeeded")
        // Enqueueing a spec that names a missing stored input is refused at once.
        #expect(throws: PGError.self) {
            try JobQueue.enqueue(db, kind: "analyze", spec: #"{"kind":"analyze","dataset":{"type":"stored","features":"\#(features)","labels":"\#(features)"}}"#)
        }
    }
}

@Suite struct SeriesWarningTests {
    /// A series whose checkpoint warns before a later one collapses gets collapse.warning (that step,
    /// its reasons, the series page) and then collapse.detected, in that order, once each; a series
    /// that only tightens with its classes intact gets neither.
    @Test func aSeriesWarnsBeforeItCollapses() throws {
        let hook = try WebhookScratch(events: ["collapse.warning", "collapse.detected"])
        let scratch = hook.scratch, receiver = hook.receiver
        let submitted = try runPython(URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/submit_warning_series.py").path,
                                      ["dbname=\(scratch.name)"])
        #expect(submitted.status == 0, "\(submitted.err)")
        let worker = try IsomineBinary.run(["worker", "--exit-when-idle"], database: scratch.name, environment: ["ISOMINE_DATA_ROOT": emptyDataRoot.path])
        #expect(worker.status == 0, "\(worker.err)")

        let series = try JSONValue.parse(Data(try IsomineBinary.run(["series", "show", "warn-run", "--json"], database: scratch.name).out.utf8))
        guard case .array(let steps)? = series["steps"], steps.count == 4 else { Issue.record("steps: \(series)"); return }
        #expect(steps.map { $0["verdict"] } == [.string("healthy"), .string("healthy"), .string("partial"), .string("collapsed")])
        #expect(series["warning_step"] == .number(2) && series["collapse_step"] == .number(3))
        #expect(steps[2]["warning"] == .array([.string("batch_spread_collapsing"), .string("negatives_closer_than_positives"), .string("margin_violated_everywhere")]))
        #expect(steps[0]["warning"] == nil && steps[1]["warning"] == nil)

        let events = receiver.requests().filter { $0["payload"]?["data"]?["series"] == .string("warn-run") }
        #expect(events.compactMap { $0["payload"]?["type"] } == [.string("collapse.warning"), .string("collapse.detected")])
        let warning = try #require(events.first)
        #expect(warning["valid"] == .bool(true) && warning["report_exists"] == .bool(true))
        #expect(warning["payload"]?["data"]?["step"] == .number(2))
        guard case .string(let summary)? = warning["payload"]?["summary"] else { Issue.record("no summary"); return }
        #expect(summary.hasPrefix("series \"warn-run\"") && summary.contains("may be collapsing: warning at step 2:")
                && summary.contains("negatives_closer_than_positives") && !summary.contains(" of "), "\(summary)")

        let tight = try JSONValue.parse(Data(try IsomineBinary.run(["series", "show", "tight-run", "--json"], database: scratch.name).out.utf8))
        #expect(tight["warning_step"] == .null && tight["collapse_step"] == .null, "every top-level key is there, null when it does not apply")
        let tightEvents = receiver.requests().filter { $0["payload"]?["data"]?["series"] == .string("tight-run") }
        #expect(tightEvents.count == 0)

        let list = try IsomineBinary.run(["series", "list"], database: scratch.name).out
        #expect(list.contains("warned at"), "\(list)")
        let page = try String(contentsOfFile: reportsRoot(scratch.name) + "/series-warn-run/index.html", encoding: .utf8)
        #expect(page.contains(#"class="marker-warning""#) && page.contains("collapse warning at step 2"))
    }
}
