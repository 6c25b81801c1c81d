// The monitor in a user's own training loop (clients/python's isomine.Monitor): its signals equal the
// trainer's on the same batch; a collapsing run's batches get collapse.warning from a worker, once, before
// the run's first collapsed checkpoint, with the worker down while the rows came in (none lost); a healthy
// run's get none; bad rows and bad batches are refused by name with nothing stored lost; the package
// installs with pip.
import Foundation
import TestSupport
import Testing
import Linalg
import Jobs
import Datasets
import Specs
@testable import Postgres
@testable import Queue
@testable import Trainer
import CollapseSignals
import Triplets
@testable import Webhooks
import Workers

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

@Suite struct MonitorTests {
    /// A batch in a generated P × K layout (some classes overlapping so that both signs of the gap occur).
    static func batch(seed: UInt64, classes: Int, perClass: Int, dim: Int) -> (Matrix<Double>, [Int]) {
        var rng = SeededRNG(seed: seed)
        let labels = (0..<(classes * perClass)).map { $0 / perClass }
        let centres = (0..<(classes * dim)).map { _ in Double.random(in: -1...1, using: &rng) }
        var m = Matrix<Double>(rows: labels.count, cols: dim)
        for (i, l) in labels.enumerated() { for j in 0..<dim { m[i, j] = centres[l * dim + j] + Double.random(in: -0.8...0.8, using: &rng) } }
        return (m, labels)
    }

    /// The database's refusal of a series step, or "accepted" when it took it.
    static func refusal(_ db: PGConnection, series: String, step: Int, embeddings: [UInt8], labels: [UInt8], options: JSONValue) -> String {
        do {
            _ = try SeriesStore.submit(db, series: series, step: step, embeddings: embeddings, labels: labels, options: options)
            return "accepted"
        } catch let error as PGError { return error.message } catch { return "\(error)" }
    }

    // The last batch (2,100 rows) is more than one block of anchors for the Python side (4M distances a block).
    // `normalize` (the loss L2-normalises, as PML's default distance does): raw outputs of norm ~300 read
    // on the sphere, the output norm kept as given, as the trainer's with model.normalize.
    @Test(arguments: [(UInt64(1), 4, 4, 8, 0.0, false), (UInt64(2), 10, 16, 2, 3.5, false), (UInt64(3), 8, 4, 64, 0.7, false),
                      (UInt64(4), 300, 7, 8, 1.5, false), (UInt64(5), 6, 4, 8, 0.0, true), (UInt64(6), 10, 4, 3, 0.4, true)])
    func pythonSignalsEqualTheTrainers(seed: UInt64, classes: Int, perClass: Int, dim: Int, reference: Double, normalize: Bool) throws {
        var (points, labels) = Self.batch(seed: seed, classes: classes, perClass: perClass, dim: dim)
        if normalize { for i in 0..<points.storage.count { points.storage[i] *= 300 } }
        let folder = TempFolder("monitor-signals")
        let x = folder.write("x.npy", npy(descr: "<f8", shape: [points.rows, points.cols], payload: float64Payload(points.storage)))
        let y = folder.write("y.npy", npy(descr: "<i8", shape: [labels.count], payload: int64Payload(labels.map(Int64.init))))
        let out = try runPython(fixtures + "/monitor_signals.py", [x, y, "0.2", "\(reference)", "17"] + (normalize ? ["normalize"] : []))
        #expect(out.status == 0, "\(out.err)")
        let python = try JSONValue.parse(Data(out.out.utf8))
        let signals = StepSignals.batch(step: 17, points: points, labels: labels, margin: 0.2, referenceSpread: reference, normalize: normalize)
        if normalize { #expect(signals.batchSpread < 2.01 && signals.outputNorm > 100, "on the sphere, the raw norm kept: \(signals)") }
        let swift = try JSONValue.from(signals)
        guard case .object(let fields) = swift else { Issue.record("not an object"); return }
        for (key, value) in fields {
            guard case .number(let s) = value else { continue }
            guard case .number(let p)? = python[key] else { Issue.record("python has no \(key)"); continue }
            #expect(abs(s - p) <= 1e-6 * max(1, abs(s)), "\(key): swift \(s), python \(p)")
        }
        #expect(python["step"] == .number(17))
    }

    @Test func collapsingRunWarnsOnceBeforeItsFirstCollapsedCheckpoint() throws {
        let hook = try WebhookScratch(events: ["collapse.warning"])
        let scratch = hook.scratch, db = hook.db, receiver = hook.receiver
        let reports = TempFolder("monitor-reports")

        // No worker yet: the monitor sends every row and the step-0 batches, and the database keeps them.
        let run = try startPython(fixtures + "/monitor_run.py", ["dbname=\(scratch.name)", "collapsing-run", "collapsing"])
        let stored = waitUntil(120) { run.output.contains("\"stored\"") }
        #expect(stored, "\(run.errors)")
        #expect(run.output.contains("\"stored\": true"), "\(run.output) \(run.errors)")
        let rows = try db.execute("SELECT count(*) AS n FROM isomine.series_signals WHERE series = 'collapsing-run'").int(0, "n")
        #expect(rows == 301, "every observed step is stored while no worker runs")

        // Now a worker: it evaluates the series and the checkpoints; the monitor reads the warning back.
        let worker = try IsomineBinary.start(["worker"], database: scratch.name,
                                             environment: ["ISOMINE_REPORTS_ROOT": reports.path, "ISOMINE_WEBHOOK_ALLOW_PRIVATE": "1"])
        defer { worker.stop() }
        try run.wait(within: 300)
        #expect(run.terminationStatus == 0, "\(run.errors)")
        let lines = run.output.split(separator: "\n")
        let last = try JSONValue.parse(Data((lines.last ?? "").utf8))
        #expect(last["synced"] == .bool(true), "\(run.output)")
        #expect(last["callbacks"] == .number(1), "on_warning is called once")
        let warning = try #require(last["warning"])
        guard case .number(let warnedAt)? = warning["step"] else { Issue.record("no warning step: \(run.output)"); return }
        guard case .array(let reasons)? = warning["reasons"], !reasons.isEmpty else { Issue.record("no reasons"); return }

        // The checkpoints' verdicts: the first collapsed one comes after the warning.
        _ = waitUntil(180) { ((try? db.execute("SELECT count(*) AS n FROM isomine.jobs WHERE series = 'collapsing-run' AND state = 'succeeded'").int(0, "n")) ?? 0) == 3 }
        let (detail, _) = try #require(try SeriesStore.show(db, name: "collapsing-run"))
        let firstCollapsed = try #require(detail.steps.first { $0.verdict == "collapsed" }?.step)
        #expect(Int(warnedAt) < firstCollapsed, "warned at \(warnedAt), first collapsed checkpoint \(firstCollapsed)")
        #expect(detail.warningStep == Int(warnedAt))

        let show = try IsomineBinary.run(["series", "show", "collapsing-run"], database: scratch.name)
        #expect(show.out.contains("monitor: 301 signal rows up to step 300, evaluated through step 300")
                && show.out.contains("warning at step \(Int(warnedAt)) from the"), "\(show.out)")

        // Exactly one collapse.warning for the series (the monitor's; its checkpoints add none), and one webhook.
        let events = try db.execute("""
            SELECT count(*) AS n FROM isomine.job_events e LEFT JOIN isomine.jobs j ON j.id = e.job_id
             WHERE e.type = 'collapse.warning' AND coalesce(e.series, j.series) = 'collapsing-run'
            """).int(0, "n")
        #expect(events == 1)
        #expect(waitUntil(30) { receiver.requests().count >= 1 })
        Thread.sleep(forTimeInterval: 1)
        let posted = receiver.requests()
        #expect(posted.count == 1)
        if case .string(let summary)? = posted.first?["payload"]?["summary"] {
            #expect(summary.hasPrefix("series \"collapsing-run\" may be collapsing: warning at step \(Int(warnedAt))"), "\(summary)")
        } else { Issue.record("no summary: \(posted)") }
        #expect(posted.first?["payload"]?["data"]?["series"] == .string("collapsing-run"))

        // The series page shows the signals and the warning.
        _ = waitUntil(30) { FileManager.default.fileExists(atPath: reports.path + "/series-collapsing-run/index.html") }
        let page = try String(contentsOfFile: reports.path + "/series-collapsing-run/index.html", encoding: .utf8)
        #expect(page.contains("Per-step signals") && page.contains("collapse_risk"))
    }

    @Test func distancesShrinkingWithTheRankingKeptWarnFromTheBatch() throws {
        // The collapse the step-0 risk and the per-step gap cannot see (real PML runs at a high learning
        // rate do this): the distances shrink by e^(−1/15) a step, so the trend clause, projecting 2 steps
        // ahead at the rate of the last 4 rows, warns a step or two before the batch falls under the
        // verdict's 0.25 α (where the batch clause would detect it), before the run's collapsed checkpoint.
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connect()
        let reports = TempFolder("monitor-shrinking")
        let worker = try IsomineBinary.start(["worker"], database: scratch.name, environment: ["ISOMINE_REPORTS_ROOT": reports.path])
        defer { worker.stop() }
        let run = try startPython(fixtures + "/monitor_run.py", ["dbname=\(scratch.name)", "shrinking-run", "shrinking"])
        try run.wait(within: 300)
        #expect(run.terminationStatus == 0, "\(run.errors)")
        let last = try JSONValue.parse(Data((run.output.split(separator: "\n").last ?? "").utf8))
        #expect(last["synced"] == .bool(true) && last["callbacks"] == .number(1), "\(run.output)")
        guard case .number(let risk)? = last["risk"]?["risk"], case .number(let threshold)? = last["risk"]?["threshold"] else {
            Issue.record("no risk: \(run.output)"); return
        }
        #expect(risk < threshold, "the step-0 risk does not see this one")
        guard case .number(let warnedAt)? = last["warning"]?["step"], case .array(let reasons)? = last["warning"]?["reasons"] else {
            Issue.record("no warning: \(run.output)"); return
        }
        #expect(reasons.compactMap { if case .string(let c)? = $0["code"] { c } else { nil } } == ["batch_distances_heading_under", "margin_violated_everywhere"])
        let firstUnder = try #require(try db.execute("""
            SELECT min(step) AS s FROM isomine.series_signals WHERE series = 'shrinking-run' AND step > 0
               AND (signals->>'batch_spread')::float8 < 0.25 * 0.2 AND (signals->>'active_fraction')::float8 >= 0.9
            """).int(0, "s"))
        #expect(Int(warnedAt) < firstUnder && Int(warnedAt) >= firstUnder - 2, "warned at \(warnedAt), first row under the line \(firstUnder)")
        _ = waitUntil(180) { ((try? db.execute("SELECT count(*) AS n FROM isomine.jobs WHERE series = 'shrinking-run' AND state = 'succeeded'").int(0, "n")) ?? 0) == 2 }
        let (detail, _) = try #require(try SeriesStore.show(db, name: "shrinking-run"))
        let firstCollapsed = try #require(detail.steps.first { $0.verdict == "collapsed" }?.step)
        #expect(Int(warnedAt) < firstCollapsed, "warned at \(warnedAt), first collapsed checkpoint \(firstCollapsed)")
        #expect(try db.execute("SELECT count(*) AS n FROM isomine.job_events WHERE type = 'collapse.warning'").int(0, "n") == 1)
        // The series page draws the quantity the clause reads, against its line.
        let pagePath = reports.path + "/series-shrinking-run/index.html"
        _ = waitUntil(30) { FileManager.default.fileExists(atPath: pagePath) }
        let page = try String(contentsOfFile: pagePath, encoding: .utf8)
        #expect(page.contains("batch spread / α (capped at 1)") && page.contains("distances 0.25 α"))
    }

    @Test func theTrendClauseReadsRowsFromTheWorkersEarlierPasses() throws {
        // Rows every 2 steps with α = 0.2 (the line at 0.05): the first pass reads steps 0–8 (no warning);
        // step 10 alone comes later, and its rate is taken from the rows of the earlier pass.
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connect()
        _ = try db.execute("SELECT isomine.start_monitor('trend-run', '{\"margin\": 0.2}')")
        func rows(_ spreads: [(Int, Double)]) -> PGJSON {
            PGJSON(text: "[" + spreads.map { #"{"step": \#($0.0), "loss": 0.2, "active_fraction": 1, "mean_positive": 0.03, "mean_negative": 0.03, "gap": 0, "batch_spread": \#($0.1)}"# }
                .joined(separator: ", ") + "]")
        }
        _ = try db.execute("SELECT isomine.submit_signals('trend-run', \(rows([(0, 1), (2, 0.1), (4, 0.09), (6, 0.08), (8, 0.065)])))")
        let worker = try IsomineBinary.start(["worker"], database: scratch.name, environment: ["ISOMINE_REPORTS_ROOT": TempFolder("monitor-trend").path])
        defer { worker.stop() }
        func evaluated() -> Int? { try? db.execute("SELECT signals_evaluated AS s FROM isomine.series WHERE name = 'trend-run'").int(0, "s") }
        #expect(waitUntil(60) { evaluated() == 8 })
        #expect(try db.execute("SELECT count(*) AS n FROM isomine.job_events WHERE type = 'collapse.warning'").int(0, "n") == 0)
        _ = try db.execute("SELECT isomine.submit_signals('trend-run', \(rows([(10, 0.055)])))")
        func warned() -> (step: Int?, code: String?) {
            let r = try? db.execute("SELECT warning_step AS s, warning->'reasons'->0->>'code' AS code FROM isomine.series WHERE name = 'trend-run'")
            return ((try? r?.int(0, "s")) ?? nil, (try? r?.first("code", as: String.self)) ?? nil)
        }
        #expect(waitUntil(60) { warned().step != nil })
        #expect(warned().step == 10 && warned().code == "batch_distances_heading_under", "\(warned())")
    }

    @Test func aMonitorOnAnotherQueueIsLeftToTheWorkersServingIt() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connect()
        // Rows whose batch distances fall under the line (α = 0.2: 0.05) at step 2: a warning for whoever evaluates them.
        let rows = PGJSON(text: #"[{"step": 0, "loss": 0.2, "active_fraction": 1, "mean_positive": 0.5, "mean_negative": 0.5, "gap": 0, "batch_spread": 1}, {"step": 2, "loss": 0.2, "active_fraction": 1, "mean_positive": 0.01, "mean_negative": 0.01, "gap": 0, "batch_spread": 0.01}]"#)
        for (series, settings) in [("gpu-run", #"{"margin": 0.2, "queue": "gpu"}"#), ("plain-run", #"{"margin": 0.2}"#)] {
            _ = try db.execute("SELECT isomine.start_monitor(\(series), \(PGJSON(text: settings)))")
            _ = try db.execute("SELECT isomine.submit_signals(\(series), \(rows))")
        }
        func evaluated(_ series: String) -> Int? { try? db.execute("SELECT signals_evaluated AS s FROM isomine.series WHERE name = \(series)").int(0, "s") }
        func warned(_ series: String) -> Int? { try? db.execute("SELECT warning_step AS s FROM isomine.series WHERE name = \(series)").int(0, "s") }
        let reports = ["ISOMINE_REPORTS_ROOT": TempFolder("monitor-queues").path]
        // A worker of the default queue evaluates its series and leaves the gpu queue's alone.
        let plain = try IsomineBinary.run(["worker", "--exit-when-idle"], database: scratch.name, environment: reports, within: 120)
        #expect(plain.status == 0, "\(plain.err)")
        #expect(evaluated("plain-run") == 2 && warned("plain-run") == 2)
        #expect(evaluated("gpu-run") == nil && warned("gpu-run") == nil)
        let gpu = try IsomineBinary.run(["worker", "--queues", "gpu", "--exit-when-idle"], database: scratch.name, environment: reports, within: 120)
        #expect(gpu.status == 0, "\(gpu.err)")
        #expect(evaluated("gpu-run") == 2 && warned("gpu-run") == 2)
        // A queue setting that is not a queue name is refused by name.
        #expect(throws: (any Error).self) { try db.execute("SELECT isomine.start_monitor('bad-queue', '{\"margin\": 0.2, \"queue\": \"GPU!\"}')") }
        do { _ = try db.execute("SELECT isomine.start_monitor('bad-queue', '{\"margin\": 0.2, \"queue\": \"GPU!\"}')") } catch {
            #expect("\(error)".contains("setting queue is \"GPU!\", not a queue name"), "\(error)")
        }
        // The jobs' queue-name rule: a name no worker's --queues could serve is refused too.
        #expect(throws: (any Error).self) { try db.execute("SELECT isomine.start_monitor('bad-queue', '{\"margin\": 0.2, \"queue\": \"-gpu\"}')") }
        #expect(try db.execute("SELECT count(*) AS n FROM isomine.series WHERE name = 'bad-queue'").int(0, "n") == 0)
    }

    @Test func oneSeriesRiskNeverHoldsUpAnothersRows() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connect()
        // slow-risk: two step-0 batches of 512 points (16 classes × 32) in R¹⁶, whose f* searches take
        // seconds; started first, so a worker evaluating one series at a time would take it first.
        let (points, labels) = MonitorTests.batch(seed: 9, classes: 16, perClass: 64, dim: 16)
        _ = try db.execute("""
            SELECT isomine.start_monitor('slow-risk', \(PGJSON(text: #"{"margin": 0.2, "learning_rate": 0.01, "batch_size": 512}"#)),
                                         \(PGBytes(NPYWriter.encode(points)))::bytea, \(PGBytes(NPYWriter.encode(labels: labels)))::bytea)
            """)
        // quick-rows: rows whose batch distances fall under the line at step 2.
        _ = try db.execute("SELECT isomine.start_monitor('quick-rows', '{\"margin\": 0.2}')")
        _ = try db.execute("""
            SELECT isomine.submit_signals('quick-rows', \(PGJSON(text: #"[{"step": 0, "loss": 0.2, "active_fraction": 1, "mean_positive": 0.5, "mean_negative": 0.5, "gap": 0, "batch_spread": 1}, {"step": 2, "loss": 0.2, "active_fraction": 1, "mean_positive": 0.01, "mean_negative": 0.01, "gap": 0, "batch_spread": 0.01}]"#)))
            """)
        let worker = try IsomineBinary.start(["worker"], database: scratch.name, environment: ["ISOMINE_REPORTS_ROOT": TempFolder("monitor-parts").path])
        defer { worker.stop() }
        func riskComputed() -> Bool { ((try? db.execute("SELECT risk IS NOT NULL AS done FROM isomine.series WHERE name = 'slow-risk'").first("done", as: Bool.self)) ?? nil) == true }
        func quickWarned() -> Bool { ((try? db.execute("SELECT warning_step AS s FROM isomine.series WHERE name = 'quick-rows'").int(0, "s")) ?? nil) == 2 }
        #expect(waitUntil(60) { quickWarned() || riskComputed() })
        // The rows were read while the other series' risk was still being computed.
        #expect(quickWarned() && !riskComputed())
        #expect(waitUntil(300) { riskComputed() })
    }

    @Test func healthyRunGetsNoWarning() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connect()
        let worker = try IsomineBinary.start(["worker"], database: scratch.name, environment: ["ISOMINE_REPORTS_ROOT": TempFolder("monitor-healthy").path])
        defer { worker.stop() }
        let run = try startPython(fixtures + "/monitor_run.py", ["dbname=\(scratch.name)", "healthy-run", "healthy"])
        try run.wait(within: 300)
        #expect(run.terminationStatus == 0, "\(run.errors)")
        let last = try JSONValue.parse(Data((run.output.split(separator: "\n").last ?? "").utf8))
        #expect(last["synced"] == .bool(true), "\(run.output)")
        #expect(last["warning"] == .null)
        #expect(last["callbacks"] == .number(0))
        guard case .number(let risk)? = last["risk"]?["risk"], case .number(let threshold)? = last["risk"]?["threshold"] else {
            Issue.record("no risk: \(run.output)"); return
        }
        #expect(risk < threshold)
        #expect(try db.execute("SELECT count(*) AS n FROM isomine.job_events WHERE type = 'collapse.warning'").int(0, "n") == 0)
        #expect(try db.execute("SELECT signals_evaluated AS s FROM isomine.series WHERE name = 'healthy-run'").int(0, "s") == 300)
    }

    @Test func badRowsAreRefusedByNameAndNothingStoredIsLost() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connect()
        _ = try db.execute("SELECT isomine.start_monitor('run-a', '{\"margin\": 0.2}')")
        let row = #"{"step": 4, "loss": 0.1, "active_fraction": 0.5, "mean_positive": 1, "mean_negative": 1.2, "gap": 0.2, "batch_spread": 2}"#
        #expect(try db.execute("SELECT isomine.submit_signals('run-a', \(PGJSON(text: "[\(row)]"))) AS n").int(0, "n") == 1)
        #expect(try db.execute("SELECT isomine.submit_signals('run-a', \(PGJSON(text: "[\(row)]"))) AS n").int(0, "n") == 0, "a resend is skipped")
        _ = try db.execute("SELECT isomine.submit_embeddings('ckpt-only', 0, \(PGBytes(npy(descr: "<f4", shape: [4, 2], payload: float32Payload([0, 1, 2, 3, 4, 5, 6, 7]))))::bytea, \(PGBytes(npy(descr: "<i8", shape: [4], payload: int64Payload([0, 0, 1, 1]))))::bytea)")
        func refused(_ series: String, _ rows: String) -> String {
            do {
                _ = try db.execute("SELECT isomine.submit_signals(\(series), \(rows)::text::jsonb)")
                return "accepted"
            } catch { return "\(error)" }
        }
        let r = #"{"step": 9, "loss": 0.1, "active_fraction": 0.5, "mean_positive": 1, "mean_negative": 1.2, "gap": 0.2, "batch_spread": 2"#
        #expect(refused("run-a", "[\(r), \"loss_ratio\": \"NaN\"}]").contains("row 1 field loss_ratio is \"NaN\", not a finite number"))
        #expect(refused("run-a", "[\(r), \"loss\": NaN}]").contains("invalid input syntax for type json"), "a bare NaN is not JSON")
        #expect(refused("run-a", "[\(r), \"lr\": 1}]").contains("row 1 has an unknown field 'lr'"))
        #expect(refused("run-a", "[\(r)}, \(r.replacingOccurrences(of: "9", with: "7"))}]").contains("row 2 has step 7, not after the previous row's step 9"))
        #expect(refused("run-a", "[\(r.replacingOccurrences(of: "9", with: "2"))}]").contains("row 1 has step 2, which goes backwards: series \"run-a\" already has signals up to step 4"))
        #expect(refused("run-a", "[\(row.replacingOccurrences(of: "0.1", with: "0.3"))]").contains("already has with other values"))
        #expect(refused("nope", "[\(r)}]").contains("there is no series \"nope\""))
        #expect(refused("ckpt-only", "[\(r)}]").contains("series \"ckpt-only\" is a series of checkpoints with no monitor"))
        #expect(refused("bad name", "[\(r)}]").contains("series name 'bad name' is not valid"))
        #expect(refused("run-a", "[\(r.replacingOccurrences(of: "\"gap\": 0.2, ", with: ""))}]").contains("row 1 has no gap"))
        #expect(refused("run-a", "[\(r.replacingOccurrences(of: "0.5", with: "1.5"))}]").contains("active_fraction is 1.5, above 1"))
        #expect(refused("run-a", "{}").contains("rows must be a JSON array"))
        // A refused submission stores nothing, not even its good rows; what was stored stays.
        #expect(refused("run-a", "[{\"step\": 10, \"loss\": 0.1, \"active_fraction\": 0.5, \"mean_positive\": 1, \"mean_negative\": 1.2, \"gap\": 0.2, \"batch_spread\": 2}, \(r.replacingOccurrences(of: "9", with: "11")), \"x\": 1}]").contains("row 2 has an unknown field 'x'"))
        #expect(try db.execute("SELECT count(*) AS n FROM isomine.series_signals").int(0, "n") == 1)
        func startRefused(_ settings: String) -> String {
            do { _ = try db.execute("SELECT isomine.start_monitor('run-b', \(settings)::text::jsonb)"); return "accepted" } catch { return "\(error)" }
        }
        #expect(startRefused("{\"margin\": \"NaN\"}").contains("setting margin is \"NaN\", not a finite number"))
        #expect(startRefused("{\"margin\": 0.2, \"momentum\": 0.9}").contains("unknown setting 'momentum'"))
        #expect(startRefused("{\"learning_rate\": 0.1}").contains("settings need the margin"))
        #expect(startRefused("{\"margin\": 0.2, \"miner\": \"hardest\"}").contains("setting miner is \"hardest\", not one of batch-hard, batch-all, semi-hard, easy-positive, random, hardest-triplet, collapse-aware, other"))
        #expect(startRefused("{\"margin\": 0.2, \"miner\": 3}").contains("setting miner is 3, not one of"))
        #expect(startRefused("{\"margin\": 0.2, \"batch_size\": 10, \"classes_per_batch\": 4, \"samples_per_class\": 4}").contains("batch_size 10 is not classes_per_batch × samples_per_class"))
        func startWithBatches(_ rows: Int, batch: Int) -> String {
            let e = npy(descr: "<f4", shape: [rows, 2], payload: float32Payload((0..<(rows * 2)).map { Float($0 % 7) }))
            let l = npy(descr: "<i8", shape: [rows], payload: int64Payload((0..<rows).map { Int64($0 % 4) }))
            do {
                _ = try db.execute("SELECT isomine.start_monitor('run-c', \(PGJSON(text: "{\"margin\": 0.2, \"batch_size\": \(batch)}")), \(PGBytes(e))::bytea, \(PGBytes(l))::bytea)")
                return "accepted"
            } catch { return "\(error)" }
        }
        #expect(startWithBatches(6000, batch: 3000).contains("over the step-0 risk's limits (2048 rows, 4096 dimensions)"))
        #expect(startWithBatches(50, batch: 16).contains("50 rows are not 1 to 16 whole batches of batch_size 16"))
        do {
            _ = try db.execute("SELECT isomine.start_monitor('run-a', '{\"margin\": 0.5}')")
            Issue.record("a second monitor on a series was accepted")
        } catch { #expect("\(error)".contains("series \"run-a\" already has a monitor")) }

        // The Python side: bad batches raise ValueError naming the problem; a database away raises nothing.
        let out = try runPython(fixtures + "/monitor_bad_input.py", ["dbname=\(scratch.name)", "run-a"])
        #expect(out.status == 0, "\(out.err)")
        let errors = try JSONValue.parse(Data(out.out.utf8))
        func says(_ key: String, _ text: String) {
            guard case .string(let message)? = errors[key] else { Issue.record("\(key): no error (\(out.out))"); return }
            #expect(message.contains(text), "\(key): \(message)")
        }
        #expect(errors["database_away"] == .null)
        #expect(errors["database_away_pending"] == .number(5), "rows are kept while the database is away")
        #expect(out.err.components(separatedBy: "cannot reach the database").count == 2, "said once: \(out.err)")
        says("unequal_lengths", "embeddings have 16 rows but labels have 10")
        says("one_class", "the batch has one class")
        says("short_first_one_class", "the batch has one class")
        says("nan", "embeddings contain NaN or infinity (first at row 5)")
        says("not_2d", "embeddings must be a 2-D array")
        says("float_labels", "labels must be integers")
        says("no_dimensions", "embeddings have no dimensions (shape (16, 0))")
        says("overflowing", "embeddings of magnitude up to 3.32e+200 overflow their squared distances")
        says("step_too_large", "step must be a whole number from 0 to 2147483647, got 2147483648")
        #expect(errors["bfloat16"] == .null, "a bfloat16 tensor is widened, not refused")
        #expect(errors["first_good"] == .null)
        #expect(errors["short_one_class"] == .string("None") && errors["short_no_pair"] == .string("None"),
                "an epoch's short last batch with nothing to mine is skipped: \(out.out)")
        #expect(out.err.components(separatedBy: "fewer than the run's 16, is skipped: the batch has one class").count == 2, "said once: \(out.err)")
        says("full_one_class", "the batch has one class")
        #expect(errors["after_short"] == .null)
        says("backwards", "step 2 is not after the last observed step 7")
        says("epoch_restart", "step 0 is not after the last observed step 7: steps must increase (a step counted within each epoch starts again at 0: pass the run's global step")
        says("bad_margin", "margin must be a positive number")
        says("queue_leading_dash", "got '-gpu'")
        says("bad_queue", "queue must be a queue name (1 to 63 of a-z, 0-9, _ . - starting with a letter or digit), got 'GPU!'")
        says("taken", "series \"run-a\" already has a monitor")
        says("bad_resume", "resume must be True or False, got 'yes'")
        says("bad_normalize", "normalize must be True or False (whether the loss L2-normalises the embeddings), got 1")
        says("bad_miner", "miner must be one of batch-hard, batch-all, semi-hard, easy-positive, random, hardest-triplet, collapse-aware, other (isomine's miner names; other for any other miner), got 'BatchHardMiner'")
        // Raw outputs collapsed on the sphere: the monitor says once that normalize=True reads them as the loss
        // does; not when it normalises already, nor for a healthy batch of large norms.
        guard case .array(let hint)? = errors["sphere_hint"], hint.count == 1, case .string(let said) = hint[0] else {
            Issue.record("no single sphere hint: \(out.out)"); return
        }
        #expect(said.contains("at step 0 the batch, L2-normalised, has collapsed against the margin") && said.contains("pass normalize=True"), "\(said)")
        #expect(errors["sphere_hint_otherwise"] == .array([]), "\(out.out)")
        #expect(try db.execute("SELECT count(*) AS n FROM isomine.series_signals WHERE series = 'run-a'").int(0, "n") == 1)
        #expect(try db.execute("SELECT count(*) AS n FROM isomine.series_signals WHERE series = 'forgotten-close-run'").int(0, "n") == 3,
                "a monitor never closed sends its rows at exit")
    }

    /// A training loop restarted from its step-20 checkpoint after a crash at step 29, on the same series.
    /// Without resume the database refuses the second start and the error says how to continue; with
    /// resume=True the monitor continues the series: the steps it already has are skipped (never
    /// rewritten), the first row stays the spread's reference, a worker evaluates through the new last
    /// step. Another margin is refused by name; resume on a series nobody started starts it.
    @Test func aRestartedLoopResumesItsSeries() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connect()
        let worker = try IsomineBinary.start(["worker"], database: scratch.name, environment: ["ISOMINE_REPORTS_ROOT": TempFolder("monitor-resume").path])
        defer { worker.stop() }
        let out = try runPython(fixtures + "/monitor_resume.py", ["dbname=\(scratch.name)", "resumed-run"])
        #expect(out.status == 0, "\(out.err)")
        let result = try JSONValue.parse(Data(out.out.utf8))
        #expect(result["first_unsent"] == .number(0), "\(out.out)")
        guard case .string(let again)? = result["again"] else { Issue.record("the restart without resume was accepted: \(out.out)"); return }
        #expect(again.contains("series \"resumed-run\" already has a monitor") && again.contains("pass resume=True"), "\(again)")
        guard case .string(let againPlain)? = result["again_plain"] else { Issue.record("the restart's resent rows were accepted: \(out.out)"); return }
        #expect(againPlain.contains("which series \"resumed-run-plain\" already has with other values")
                && againPlain.contains("(a training loop restarted from a checkpoint continues its series (the Python monitor: resume=True)"), "\(againPlain)")
        #expect(result["resumed"] == nil, "\(out.out)")
        #expect(result["skipped"] == .array((20...29).map { .number(Double($0)) }), "\(out.out)")
        #expect(result["synced"] == .bool(true) && result["resumed_unsent"] == .number(0), "\(out.out)")
        guard case .string(let otherMargin)? = result["other_margin"] else { Issue.record("another margin was accepted: \(out.out)"); return }
        #expect(otherMargin.contains("cannot resume series \"resumed-run\": its monitor was started with margin 0.2, and this run gives margin 0.3"), "\(otherMargin)")
        guard case .string(let otherWay)? = result["other_normalize"] else { Issue.record("normalize=True was accepted on a series read as given: \(out.out)"); return }
        #expect(otherWay.contains("cannot resume series \"resumed-run\": its monitor was started with normalize=False, and this run gives normalize=True"), "\(otherWay)")

        // Steps 0–49 once each; 20–29 as the first session sent them; step 30 against step 0's spread.
        let steps = try db.execute("SELECT count(*) AS n, count(DISTINCT step) AS d, min(step) AS lo, max(step) AS hi FROM isomine.series_signals WHERE series = 'resumed-run'")
        #expect(try steps.int(0, "n") == 50 && steps.int(0, "d") == 50 && steps.int(0, "lo") == 0 && steps.int(0, "hi") == 49)
        func stored(_ step: Int, _ field: String) throws -> Double {
            try #require(try db.execute("SELECT (signals->>\(field))::float8 AS v FROM isomine.series_signals WHERE series = 'resumed-run' AND step = \(step)").double(0, "v"))
        }
        guard case .number(let first25)? = result["first_row_25"]?["batch_spread"], case .number(let ratio30)? = result["row_30"]?["batch_spread_ratio"] else {
            Issue.record("no rows: \(out.out)"); return
        }
        #expect(try stored(25, "batch_spread") == first25, "a stored step is never rewritten")
        #expect(abs(ratio30 - (try stored(30, "batch_spread")) / (try stored(0, "batch_spread"))) <= 1e-12, "the first row stays the reference")
        #expect(try stored(30, "batch_spread_ratio") == ratio30)
        #expect(try db.execute("SELECT signals_evaluated AS s FROM isomine.series WHERE name = 'resumed-run'").int(0, "s") == 49)
        #expect(try db.execute("SELECT monitor->>'learning_rate' AS lr FROM isomine.series WHERE name = 'resumed-run'").string(0, "lr") == "0.01",
                "the first start's settings stay")
        #expect(result["fresh_unsent"] == .number(0))
        #expect(try db.execute("SELECT count(*) AS n FROM isomine.series_signals WHERE series = 'resumed-run-fresh'").int(0, "n") == 5)
    }

    /// A monitored run whose checkpoints start after training began (epochs 3 and 5, no untrained step 0):
    /// the monitor made the series, and its first checkpoint is still the series' baseline, as it is for
    /// a series of checkpoints alone. (The monitor used to take step 0 as the baseline, and every
    /// checkpoint failed: "the baseline step  of series … was not submitted".)
    @Test func aMonitoredSeriesTakesItsFirstCheckpointAsTheBaseline() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connect()
        _ = try db.execute("SELECT isomine.start_monitor('late-checkpoints', '{\"margin\": 0.2, \"first_step\": 0}')")
        #expect(try db.execute("SELECT baseline_step AS b FROM isomine.series WHERE name = 'late-checkpoints'").int(0, "b") == nil,
                "no checkpoint yet, no baseline")
        var points = [Float]()
        for i in 0..<24 { for j in 0..<4 { points.append(Float(i % 3 * 4) + Float((i * 5 + j * 3) % 7) / 7) } }
        let labels = npy(descr: "<i8", shape: [24], payload: int64Payload((0..<24).map { Int64($0 % 3) }))
        let e = npy(descr: "<f4", shape: [24, 4], payload: float32Payload(points))
        let first = try SeriesStore.submit(db, series: "late-checkpoints", step: 3, embeddings: e, labels: labels, options: .object([:]))
        let second = try SeriesStore.submit(db, series: "late-checkpoints", step: 5, embeddings: e, labels: labels, options: .object([:]))
        #expect(try db.execute("SELECT baseline_step AS b FROM isomine.series WHERE name = 'late-checkpoints'").int(0, "b") == 3)
        let worker = try IsomineBinary.run(["worker", "--exit-when-idle"], database: scratch.name,
                                           environment: ["ISOMINE_REPORTS_ROOT": TempFolder("monitor-baseline").path])
        #expect(worker.status == 0, "\(worker.err)")
        for id in [first, second] {
            let job = try db.execute("SELECT state, last_error FROM isomine.jobs WHERE id = \(id)")
            let error = try job.string(0, "last_error") ?? ""
            #expect(try job.string(0, "state") == "succeeded", "job \(id): \(error)")
        }
        let show = try IsomineBinary.run(["series", "show", "late-checkpoints"], database: scratch.name)
        #expect(show.status == 0 && show.out.contains("baseline step 3"), "\(show.out) \(show.err)")
        // A monitor that recorded training batches before the first checkpoint: that baseline is a trained
        // network's, so at chance it has lost its classes (collapsed, announced), not "untrained".
        _ = try db.execute("SELECT isomine.start_monitor('trained-first', '{\"margin\": 0.2}')")
        let row = #"{"step": 0, "loss": 0.1, "active_fraction": 0.5, "mean_positive": 1, "mean_negative": 1.2, "gap": 0.2, "batch_spread": 2}"#
        _ = try db.execute("SELECT isomine.submit_signals('trained-first', \(PGJSON(text: "[\(row), \(row.replacingOccurrences(of: "\"step\": 0", with: "\"step\": 1"))]")))")
        var noise = SeededRNG(seed: 4)
        let atChance = npy(descr: "<f4", shape: [60, 4], payload: float32Payload((0..<240).map { _ in Float.random(in: -1...1, using: &noise) }))
        let chanceLabels = npy(descr: "<i8", shape: [60], payload: int64Payload((0..<60).map { Int64($0 % 3) }))
        let trained = try SeriesStore.submit(db, series: "trained-first", step: 2, embeddings: atChance, labels: chanceLabels, options: .object([:]))
        let untrainedTwin = try SeriesStore.submit(db, series: "checkpoints-only", step: 2, embeddings: atChance, labels: chanceLabels, options: .object([:]))
        let again = try IsomineBinary.run(["worker", "--exit-when-idle"], database: scratch.name,
                                          environment: ["ISOMINE_REPORTS_ROOT": TempFolder("monitor-baseline-trained").path])
        #expect(again.status == 0, "\(again.err)")
        let judged = try db.execute("SELECT id, result->>'verdict' AS v FROM isomine.jobs WHERE id IN (\(trained), \(untrainedTwin)) ORDER BY id")
        #expect(try judged.string(0, "v") == "collapsed" && judged.string(1, "v") == "partial", "a trained baseline at chance is collapsed, an untrained one partial")
        #expect(try db.execute("SELECT collapse_step AS c FROM isomine.series WHERE name = 'trained-first'").int(0, "c") == 2)
        #expect(try db.execute("SELECT count(*) AS n FROM isomine.job_events WHERE type = 'collapse.detected' AND job_id = \(trained)").int(0, "n") == 1)
        #expect(try db.execute("SELECT collapse_step AS c FROM isomine.series WHERE name = 'checkpoints-only'").int(0, "c") == nil)
        // A monitored series with no checkpoint lists and shows without a baseline.
        _ = try db.execute("SELECT isomine.start_monitor('signals-only', '{\"margin\": 0.2}')")
        let alone = try IsomineBinary.run(["series", "show", "signals-only"], database: scratch.name)
        #expect(alone.status == 0 && alone.out.contains("no checkpoint yet"), "\(alone.out) \(alone.err)")
        let list = try IsomineBinary.run(["series", "list"], database: scratch.name)
        #expect(list.status == 0 && list.out.contains("signals-only"), "\(list.out) \(list.err)")
        #expect(try SeriesStore.show(db, name: "signals-only")?.0.baselineStep == nil)
    }

    /// A monitored run's first checkpoint comes after training batches (epoch 1, no untrained step 0), so
    /// it is judged as a trained network. It used to read `collapsed (classes lost)` whenever it was at
    /// chance, even for a run that started at chance and has not contracted (a slowly learning network:
    /// nothing lost). And the steps after such a trained baseline took its κ as an untrained reference:
    /// real PML runs collapsed at epoch 1 read `partial (still at chance)` at epoch 3, their spread no
    /// longer contracting against the collapsed baseline's. The monitor's first batch (the untrained
    /// network's, sent with learning_rate) says whether the run started at chance, and its rows how far
    /// the batches' spread has contracted since: at chance then and not contracted is `still at
    /// chance`; a run that started with its classes, or whose spread contracted, has lost them; without
    /// the monitor's batches, nothing says where the run started, so no step reads `still at chance`.
    @Test func aMonitoredSeriesWithATrainedBaselineIsJudgedAgainstTheRunsStart() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connect()
        var noise = SeededRNG(seed: 11)
        // The untrained network's first batch: 8 classes × 4, at chance (noise) or already clustered.
        let atChanceBatch = Matrix<Double>(rows: 32, cols: 4, storage: (0..<128).map { _ in Double.random(in: -1...1, using: &noise) })
        let (clusteredBatch, batchLabels) = MonitorTests.batch(seed: 12, classes: 8, perClass: 4, dim: 4)
        let checkpoint = npy(descr: "<f4", shape: [60, 4], payload: float32Payload((0..<240).map { _ in Float.random(in: -1...1, using: &noise) }))
        let checkpointLabels = npy(descr: "<i8", shape: [60], payload: int64Payload((0..<60).map { Int64($0 % 3) }))
        // Rows at steps 0, 1 and 3 (batch spread 2 at the start), checkpoints at chance at steps 2 and 4.
        func start(_ series: String, first: Matrix<Double>?, spreads: (Double, Double), rate: Bool = true) throws -> [Int] {
            let settings = PGJSON(text: rate ? #"{"margin": 0.2, "learning_rate": 0.01, "batch_size": 32}"# : #"{"margin": 0.2, "batch_size": 32}"#)
            if let first {
                _ = try db.execute("""
                    SELECT isomine.start_monitor(\(series), \(settings), \(PGBytes(NPYWriter.encode(first)))::bytea,
                                                 \(PGBytes(NPYWriter.encode(labels: batchLabels)))::bytea)
                    """)
            } else {
                _ = try db.execute("SELECT isomine.start_monitor(\(series), \(settings))")
            }
            let rows = [(0, 2.0), (1, spreads.0), (3, spreads.1)].map { step, spread in
                #"{"step": \#(step), "loss": 0.1, "active_fraction": 0.5, "mean_positive": 1, "mean_negative": 1.2, "gap": 0.2, "batch_spread": \#(spread)}"#
            }
            _ = try db.execute("SELECT isomine.submit_signals(\(series), \(PGJSON(text: "[\(rows.joined(separator: ", "))]")))")
            return try [2, 4].map { try SeriesStore.submit(db, series: series, step: $0, embeddings: checkpoint, labels: checkpointLabels, options: .object([:])) }
        }
        let slow = try start("slow-start", first: atChanceBatch, spreads: (1.9, 1.8))
        let slowWithoutRate = try start("slow-start-no-rate", first: atChanceBatch, spreads: (1.9, 1.8), rate: false)
        let lost = try start("started-with-classes", first: clusteredBatch, spreads: (1.9, 1.8))
        let contracted = try start("contracted-from-chance", first: atChanceBatch, spreads: (0.6, 0.5))
        let unknownStart = try start("no-first-batch", first: nil, spreads: (1.9, 1.8))
        let worker = try IsomineBinary.run(["worker", "--exit-when-idle"], database: scratch.name,
                                           environment: ["ISOMINE_REPORTS_ROOT": TempFolder("monitor-first-checkpoint").path])
        #expect(worker.status == 0, "\(worker.err)")
        func judged(_ id: Int) throws -> (headline: String?, reference: String?, codes: String) {
            let row = try db.execute("""
                SELECT coalesce(result->'final'->'diagnosis'->>'headline', state || ': ' || coalesce(last_error, '')) AS h,
                       result->'final'->'diagnosis'->>'reference' AS r,
                       (SELECT string_agg(x->>'code', ',') FROM jsonb_array_elements(result->'final'->'diagnosis'->'reasons') x) AS codes
                  FROM isomine.jobs WHERE id = \(id)
                """)
            return (try row.string(0, "h"), try row.string(0, "r"), try row.string(0, "codes") ?? "")
        }
        func collapseStep(_ series: String) throws -> Int? {
            try db.execute("SELECT collapse_step AS c FROM isomine.series WHERE name = \(series)").int(0, "c")
        }
        for id in slow + slowWithoutRate {
            let j = try judged(id)
            #expect(j.headline == "partial (still at chance)" && j.reference == "monitor_batches" && j.codes.contains("still_at_chance"), "job \(id): \(j)")
        }
        #expect(try collapseStep("slow-start") == nil && collapseStep("slow-start-no-rate") == nil, "nothing lost, nothing detected")
        #expect(try db.execute("SELECT risk IS NULL AS none FROM isomine.series WHERE name = 'slow-start-no-rate'").bool(0, "none") == true,
                "no learning_rate, no risk")
        for (series, ids) in [("started-with-classes", lost), ("contracted-from-chance", contracted), ("no-first-batch", unknownStart)] {
            for id in ids {
                let j = try judged(id)
                #expect(j.headline == "collapsed (classes lost)" && j.codes.contains("retrieval_at_chance"), "\(series) job \(id): \(j)")
            }
            #expect(try collapseStep(series) == 2, "\(series)")
        }
    }

    /// A series is one run, trained at one margin α. A checkpoint submitted without `margin` used to be
    /// judged at the analyze default (0.2) while the series' monitor read the loop at the margin it was
    /// given (PML's 0.05: four times off on the verdict's own scale), and a step naming another margin
    /// was taken. Now a step without one takes the series' margin (its monitor's, or its first step's),
    /// another margin is refused by name with nothing stored, by SQL and by the CLI, and a monitor
    /// cannot start at another margin than the series' checkpoints.
    @Test func aSeriesJudgesEveryStepAtItsOneMargin() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connect()
        var points = [Float]()
        for i in 0..<24 { for j in 0..<4 { points.append(Float(i % 3 * 4) + Float((i * 5 + j * 3) % 7) / 7) } }
        let labels = npy(descr: "<i8", shape: [24], payload: int64Payload((0..<24).map { Int64($0 % 3) }))
        let e = npy(descr: "<f4", shape: [24, 4], payload: float32Payload(points))
        func margin(_ id: Int) throws -> Double? { try db.execute("SELECT (spec->>'margin')::float8 AS m FROM isomine.jobs WHERE id = \(id)").double(0, "m") }
        func refusal(_ series: String, _ step: Int, _ options: JSONValue) -> String {
            Self.refusal(db, series: series, step: step, embeddings: e, labels: labels, options: options)
        }
        _ = try db.execute("SELECT isomine.start_monitor('pml-run', '{\"margin\": 0.05}')")
        let inherited = try SeriesStore.submit(db, series: "pml-run", step: 1, embeddings: e, labels: labels, options: .object([:]))
        #expect(try margin(inherited) == 0.05, "a step without a margin takes the monitor's")
        let same = try SeriesStore.submit(db, series: "pml-run", step: 2, embeddings: e, labels: labels, options: .object(["margin": .number(0.05)]))
        #expect(try margin(same) == 0.05)
        let other = refusal("pml-run", 3, .object(["margin": .number(0.2)]))
        #expect(other.contains("series 'pml-run' judges its steps at margin 0.05 (its monitor's)") && other.contains("this step names margin 0.2"), "\(other)")
        #expect(try db.execute("SELECT count(*) AS n FROM isomine.jobs WHERE series = 'pml-run'").int(0, "n") == 2, "nothing stored for the refused step")
        // A series of checkpoints only: its first step sets the margin, named or the analyze default.
        let first = try SeriesStore.submit(db, series: "ckpt-run", step: 0, embeddings: e, labels: labels, options: .object([:]))
        #expect(try margin(first) == AnalyzeSpec(dataset: .digits).margin, "the first step without a margin is judged at the default, written down")
        let later = refusal("ckpt-run", 1, .object(["margin": .number(0.05)]))
        #expect(later.contains("judges its steps at margin 0.2 (its first step's)"), "\(later)")
        let named = try SeriesStore.submit(db, series: "named-run", step: 0, embeddings: e, labels: labels, options: .object(["margin": .number(0.3)]))
        let next = try SeriesStore.submit(db, series: "named-run", step: 4, embeddings: e, labels: labels, options: .object([:]))
        #expect(try margin(named) == 0.3 && margin(next) == 0.3)
        // A monitor joins a series of checkpoints at their margin only.
        do {
            _ = try db.execute("SELECT isomine.start_monitor('ckpt-run', '{\"margin\": 0.05}')")
            Issue.record("a monitor at another margin than the series' checkpoints was started")
        } catch let error as PGError {
            #expect(error.message.contains("series 'ckpt-run' judges its steps at margin 0.2 (its first step's); the monitor names margin 0.05"), "\(error.message)")
        }
        #expect(try db.execute("SELECT monitor IS NULL AS none FROM isomine.series WHERE name = 'ckpt-run'").bool(0, "none") == true)
        _ = try db.execute("SELECT isomine.start_monitor('ckpt-run', '{\"margin\": 0.2}')")
        // The CLI: without --margin the series' own; another is refused with exit 2.
        let folder = TempFolder("series-margin")
        let ePath = folder.write("e.npy", e), lPath = folder.write("y.npy", labels)
        let cli = try IsomineBinary.run(["submit", "--series", "pml-run", "--step", "5", ePath, lPath], database: scratch.name)
        #expect(cli.status == 0, "\(cli.err)")
        #expect(try db.execute("SELECT (spec->>'margin')::float8 AS m FROM isomine.jobs WHERE series = 'pml-run' AND series_step = 5").double(0, "m") == 0.05)
        let wrong = try IsomineBinary.run(["submit", "--series", "pml-run", "--step", "6", "--margin", "0.5", ePath, lPath], database: scratch.name)
        #expect(wrong.status == 2 && wrong.err.contains("judges its steps at margin 0.05"), "\(wrong.status) \(wrong.err)")
        // Shown with the series.
        let show = try IsomineBinary.run(["series", "show", "pml-run"], database: scratch.name)
        #expect(show.status == 0 && show.out.contains("margin α = 0.05"), "\(show.out) \(show.err)")
        #expect(try SeriesStore.show(db, name: "pml-run")?.1["margin"] == .number(0.05))
        #expect(try SeriesStore.list(db, name: "pml-run").first?.margin == 0.05, "the series page's summary")
        let list = try IsomineBinary.run(["series", "list"], database: scratch.name)
        #expect(list.status == 0 && list.out.contains("margin") && list.out.split(separator: "\n").contains { $0.hasPrefix("pml-run") && $0.contains(" 0.05 ") },
                "\(list.out)")
        // A step stored before a series had a margin (no margin in its spec) that failed: retried, it takes
        // the series' margin, not the analyze default. A job outside any series keeps its spec.
        let legacy = try db.execute("""
            INSERT INTO isomine.jobs (kind, spec, max_attempts, series, series_step, state)
            VALUES ('analyze', '{"kind": "analyze", "dataset": {"type": "toy5"}, "series": "pml-run", "step": 9}', 2, 'pml-run', 9, 'failed')
            RETURNING id
            """).int(0, "id") ?? -1
        let alone = try db.execute("""
            INSERT INTO isomine.jobs (kind, spec, max_attempts, state) VALUES ('analyze', '{"kind": "analyze", "dataset": {"type": "toy5"}}', 2, 'dead')
            RETURNING id
            """).int(0, "id") ?? -1
        #expect(try JobQueue.retry(db, id: legacy) && JobQueue.retry(db, id: alone))
        #expect(try margin(legacy) == 0.05, "retried at the series' margin")
        #expect(try margin(alone) == nil && db.execute("SELECT state FROM isomine.jobs WHERE id = \(alone)").string(0, "state") == "queued")
    }

    /// A series is judged on one distance, as its run's loss measures it: pytorch-metric-learning's default
    /// `LpDistance()` L2-normalises inside the loss, so a user submits the model's raw outputs and a margin
    /// on the sphere's scale. Seen on real PML runs (deploy/experiments/raw-outputs): raw checkpoints of
    /// runs collapsed on the sphere read `partial` (norms grown to thousands). With `normalize`
    /// (the monitor's, or a step's) every step is judged normalised, its baseline too; a step or a monitor
    /// measuring the other way is refused by name, nothing stored.
    @Test func aSeriesIsJudgedOnOneDistance() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connect()
        var rng = SeededRNG(seed: 21)
        // The untrained network: directions anywhere, norms about 1. The collapsed one: every direction
        // within ~0.004 of one point of the sphere, raw norms 500 to 3,000.
        let rows = 60, dim = 4
        let labels = npy(descr: "<i8", shape: [rows], payload: int64Payload((0..<rows).map { Int64($0 % 3) }))
        let untrained = npy(descr: "<f4", shape: [rows, dim], payload: float32Payload((0..<(rows * dim)).map { _ in Float.random(in: -1...1, using: &rng) }))
        var collapsed = [Float]()
        for _ in 0..<rows {
            let d = (0..<dim).map { k in (k == 0 ? 1 : 0) + Float.random(in: -0.002...0.002, using: &rng) }
            let r = Float.random(in: 500...3000, using: &rng)
            collapsed += d.map { $0 * r }
        }
        let raw = npy(descr: "<f4", shape: [rows, dim], payload: float32Payload(collapsed))
        func normalizeOf(_ id: Int) throws -> Bool? { try db.execute("SELECT (spec->>'normalize')::boolean AS n FROM isomine.jobs WHERE id = \(id)").first("n", as: Bool.self) ?? nil }
        func refusal(_ series: String, _ step: Int, _ options: JSONValue) -> String {
            Self.refusal(db, series: series, step: step, embeddings: raw, labels: labels, options: options)
        }
        // A monitored PML loop whose loss normalises: its checkpoints, submitted without normalize, take it.
        _ = try db.execute("SELECT isomine.start_monitor('pml-raw', '{\"margin\": 0.2, \"normalize\": true}')")
        let base = try SeriesStore.submit(db, series: "pml-raw", step: 0, embeddings: untrained, labels: labels, options: .object(["untrained": .bool(true)]))
        let later = try SeriesStore.submit(db, series: "pml-raw", step: 5, embeddings: raw, labels: labels, options: .object([:]))
        #expect(try normalizeOf(base) == true && normalizeOf(later) == true, "steps without normalize take the monitor's")
        let other = refusal("pml-raw", 6, .object(["normalize": .bool(false)]))
        #expect(other.contains("series 'pml-raw' judges its steps on L2-normalised embeddings (normalize true, its monitor's)")
                && other.contains("this step names normalize false"), "\(other)")
        // The same raw checkpoints in a series of checkpoints only, judged as given (its first step's way).
        let asGiven = try SeriesStore.submit(db, series: "as-given", step: 0, embeddings: untrained, labels: labels, options: .object(["untrained": .bool(true)]))
        let asGivenLater = try SeriesStore.submit(db, series: "as-given", step: 5, embeddings: raw, labels: labels, options: .object([:]))
        #expect(try normalizeOf(asGiven) == nil && normalizeOf(asGivenLater) == nil)
        let flipped = refusal("as-given", 6, .object(["normalize": .bool(true)]))
        #expect(flipped.contains("judges its steps on the embeddings as given (normalize false, its first step's)"), "\(flipped)")
        do {
            _ = try db.execute("SELECT isomine.start_monitor('as-given', '{\"margin\": 0.2, \"normalize\": true}')")
            Issue.record("a monitor measuring the other way was started")
        } catch let error as PGError {
            #expect(error.message.contains("series 'as-given' judges its steps on the embeddings as given (normalize false, its first step's); the monitor names normalize true"), "\(error.message)")
        }
        do {
            _ = try db.execute("SELECT isomine.start_monitor('bad-setting', '{\"margin\": 0.2, \"normalize\": \"yes\"}')")
            Issue.record("normalize \"yes\" was taken")
        } catch let error as PGError {
            #expect(error.message.contains("setting normalize must be true or false"), "\(error.message)")
        }
        #expect(try db.execute("SELECT count(*) AS n FROM isomine.series WHERE name = 'bad-setting' OR (name = 'as-given' AND monitor IS NOT NULL)").int(0, "n") == 0)
        let notABoolean = refusal("fresh-run", 0, .object(["normalize": .string("yes")]))
        #expect(notABoolean.contains("option normalize must be true or false"), "\(notABoolean)")
        #expect(try db.execute("SELECT count(*) AS n FROM isomine.series WHERE name = 'fresh-run'").int(0, "n") == 0)
        // The CLI's --normalize starts a series that way.
        let folder = TempFolder("series-normalize")
        let ePath = folder.write("e.npy", untrained), lPath = folder.write("y.npy", labels), rPath = folder.write("r.npy", raw)
        let cli = try IsomineBinary.run(["submit", "--series", "cli-raw", "--step", "0", "--untrained", "--normalize", ePath, lPath], database: scratch.name)
        #expect(cli.status == 0, "\(cli.err)")
        let cliLater = try IsomineBinary.run(["submit", "--series", "cli-raw", "--step", "5", rPath, lPath], database: scratch.name)
        #expect(cliLater.status == 0, "\(cliLater.err)")
        #expect(try db.execute("SELECT bool_and((spec->>'normalize')::boolean) AS n FROM isomine.jobs WHERE series = 'cli-raw'").bool(0, "n") == true)

        let reports = TempFolder("series-normalize-reports")
        let worker = try IsomineBinary.run(["worker", "--exit-when-idle"], database: scratch.name,
                                           environment: ["ISOMINE_REPORTS_ROOT": reports.path])
        #expect(worker.status == 0, "\(worker.err)")
        func headline(_ series: String, _ step: Int) throws -> String {
            let job = try db.execute("SELECT state, last_error, result->'final'->'diagnosis'->>'headline' AS h FROM isomine.jobs WHERE series = \(series) AND series_step = \(step)")
            let error = try job.string(0, "last_error") ?? ""
            #expect(try job.string(0, "state") == "succeeded", "\(series) \(step): \(error)")
            return try job.string(0, "h") ?? ""
        }
        let judged = try headline("pml-raw", 5)
        #expect(judged.hasPrefix("collapsed") && judged.contains("distances"), "\(judged)")
        #expect(try headline("cli-raw", 5) == headline("pml-raw", 5))
        #expect(try !headline("as-given", 5).contains("distances"), "the raw outputs' distances are thousands of margins")
        // Read as given, the raw step says what normalising would show (context), and series show notes it.
        let asGivenShow = try IsomineBinary.run(["series", "show", "as-given"], database: scratch.name)
        #expect(asGivenShow.status == 0 && asGivenShow.out.contains("note: step 5 is collapsed against α once L2-normalised (collapsed_on_the_sphere)"),
                "\(asGivenShow.out) \(asGivenShow.err)")
        #expect(try SeriesStore.show(db, name: "as-given")?.0.steps.last?.context == ["collapsed_on_the_sphere"])
        // The pages: the normalised series says so in its header; the raw one names the context in step 5's row.
        let normalizedPage = try String(contentsOfFile: reports.path + "/" + ReportPublisher.seriesPath("pml-raw"), encoding: .utf8)
        #expect(normalizedPage.contains("judged at margin α = 0.2 on L2-normalised embeddings"))
        let rawPage = try String(contentsOfFile: reports.path + "/" + ReportPublisher.seriesPath("as-given"), encoding: .utf8)
        #expect(rawPage.contains("context: collapsed_on_the_sphere") && !rawPage.contains("on L2-normalised embeddings"))
        let stepID = try #require(try db.execute("SELECT id FROM isomine.jobs WHERE series = 'pml-raw' AND series_step = 5").int(0, "id"))
        let stepPage = try String(contentsOfFile: reports.path + "/" + ReportPublisher.relativePath(stepID), encoding: .utf8)
        #expect(stepPage.contains("each embedding L2-normalised before it is judged"))
        #expect(try db.execute("SELECT collapse_step AS c FROM isomine.series WHERE name = 'pml-raw'").int(0, "c") == 5)
        let show = try IsomineBinary.run(["series", "show", "pml-raw"], database: scratch.name)
        #expect(show.status == 0 && show.out.contains("margin α = 0.2 on L2-normalised embeddings"), "\(show.out) \(show.err)")
        #expect(try SeriesStore.show(db, name: "pml-raw")?.1["normalize"] == .bool(true) && SeriesStore.show(db, name: "as-given")?.1["normalize"] == .bool(false))
    }

    /// `every=5` thins the signal rows, not the step-0 risk's batches: those stay the run's first three
    /// (the risk is calibrated on the untrained network's batch and the two after it).
    @Test func theRiskBatchesAreTheFirstThreeWhateverTheStride() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connect()
        let out = try runPython(fixtures + "/monitor_every.py", ["dbname=\(scratch.name)", "sparse-run"])
        #expect(out.status == 0, "\(out.err)")
        let result = try JSONValue.parse(Data(out.out.utf8))
        guard case .string(let expected)? = result["expected"] else { Issue.record("\(out.out)"); return }
        #expect(result["unsent"] == .number(0))
        #expect(try db.execute("SELECT risk_embeddings AS e FROM isomine.series WHERE name = 'sparse-run'").string(0, "e") == expected)
        let steps = try db.execute("SELECT step FROM isomine.series_signals WHERE series = 'sparse-run' ORDER BY step").column("step", as: Int.self)
        #expect(steps == [0, 5, 10])
        // Without learning_rate the same batches are sent (the run's start), and no risk is computed.
        #expect(result["nolr_unsent"] == .number(0))
        #expect(try db.execute("SELECT risk_embeddings AS e FROM isomine.series WHERE name = 'sparse-run-nolr'").string(0, "e") == expected)
        let worker = try IsomineBinary.run(["worker", "--exit-when-idle"], database: scratch.name,
                                           environment: ["ISOMINE_REPORTS_ROOT": TempFolder("monitor-every").path])
        #expect(worker.status == 0, "\(worker.err)")
        let risks = try db.execute("""
            SELECT name, risk IS NULL AS none, signals_evaluated AS evaluated FROM isomine.series ORDER BY name
            """)
        #expect(try risks.string(0, "name") == "sparse-run" && risks.bool(0, "none") == false, "the risk of the monitor with learning_rate")
        #expect(try risks.string(1, "name") == "sparse-run-nolr" && risks.bool(1, "none") == true && risks.int(1, "evaluated") == 14,
                "no risk without learning_rate, and its rows evaluated all the same")
    }

    /// The step-0 risk models hardest-negative mining: a loop mining semi-hard (or with any miner isomine
    /// has not fitted it on) gets its risk reported, with the reason, and no step-0 warning; the same
    /// batches from a batch-hard loop (the default) warn at step 0.
    @Test func theStepZeroRiskWarnsOnlyForTheMinersItWasFittedOn() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connect()
        // Three batches of B = 320 points in 2 dimensions with negatives far inside the positives: a risk over its threshold.
        let batches = (0..<3).map { MonitorTests.batch(seed: 40 + UInt64($0), classes: 10, perClass: 32, dim: 2) }
        let e = npy(descr: "<f4", shape: [960, 2], payload: float32Payload(batches.flatMap { b in b.0.storage.map(Float.init) }))
        let l = npy(descr: "<i8", shape: [960], payload: int64Payload(batches.flatMap { $0.1.map(Int64.init) }))
        for (series, miner) in [("bh-loop", nil), ("sh-loop", "semi-hard"), ("ms-loop", "other")] as [(String, String?)] {
            let settings = "{\"margin\": 0.2, \"learning_rate\": 0.2, \"optimizer\": \"adam\", \"classes_per_batch\": 10, \"samples_per_class\": 32"
                + (miner.map { ", \"miner\": \"\($0)\"" } ?? "") + "}"
            _ = try db.execute("SELECT isomine.start_monitor(\(series), \(PGJSON(text: settings)), \(PGBytes(e))::bytea, \(PGBytes(l))::bytea)")
        }
        let reports = TempFolder("monitor-miner")
        let worker = try IsomineBinary.run(["worker", "--exit-when-idle"], database: scratch.name,
                                           environment: ["ISOMINE_REPORTS_ROOT": reports.path])
        #expect(worker.status == 0, "\(worker.err)")
        func read(_ series: String) throws -> (risk: Double?, warns: Bool?, miner: String?, lastReason: String?, warningStep: Int?) {
            let r = try db.execute("""
                SELECT (risk->>'risk')::float8 AS risk, (risk->>'warns')::boolean AS warns, risk->>'miner' AS miner,
                       risk->'reasons'->-1->>'code' AS last, warning_step FROM isomine.series WHERE name = \(series)
                """)
            return (try r.double(0, "risk"), try r.first("warns", as: Bool.self) ?? nil, try r.first("miner", as: String.self) ?? nil,
                    try r.first("last", as: String.self) ?? nil, try r.int(0, "warning_step"))
        }
        let bh = try read("bh-loop"), sh = try read("sh-loop"), ms = try read("ms-loop")
        let threshold = 0.22283131414678428  // the monitors' model (RiskModel.calibrated)
        #expect((bh.risk ?? 0) >= threshold && bh.warns == true && bh.miner == "batch-hard" && bh.warningStep == 0, "\(bh)")
        #expect(sh.risk == bh.risk && sh.warns == false && sh.miner == "semi-hard" && sh.lastReason == "miner_not_calibrated" && sh.warningStep == nil, "\(sh)")
        #expect(ms.risk == bh.risk && ms.warns == false && ms.miner == "other" && ms.warningStep == nil, "\(ms)")
        let show = try IsomineBinary.run(["series", "show", "sh-loop"], database: scratch.name)
        #expect(show.out.contains("(reported only: not fitted for miner semi-hard)"), "\(show.out)")
        let page = try String(contentsOfFile: reports.path + "/series-sh-loop/index.html", encoding: .utf8)
        #expect(page.contains("(reported only: the model warns for hardest-negative miners; this run mines semi-hard)") && page.contains("miner_not_calibrated"))
        let warnedPage = try String(contentsOfFile: reports.path + "/series-bh-loop/index.html", encoding: .utf8)
        #expect(warnedPage.contains("warns at 0.22 or above") && !warnedPage.contains("miner_not_calibrated"))
    }

    /// The miner names a monitor accepts are isomine's miners and `other`, in the SQL function and the client alike.
    @Test func theMonitorsMinerNamesAreTheTrainersAndOther() throws {
        let expected = Miner.allCases.map(\.rawValue) + ["other"]
        let sql = try String(contentsOfFile: projectRoot + "/sql/functions/start_monitor.sql", encoding: .utf8)
        let python = try String(contentsOfFile: projectRoot + "/clients/python/isomine/monitor.py", encoding: .utf8)
        let inSQL = try #require(sql.firstMatch(of: /miners text\[\] := ARRAY\[([^\]]*)\]/)).1
        let inPython = try #require(python.firstMatch(of: /MINERS = \(([^)]*)\)/)).1
        func names(_ list: Substring) -> [String] { list.matches(of: /['"]([a-z-]+)['"]/).map { String($0.1) } }
        #expect(Set(names(inSQL)) == Set(expected) && names(inSQL).count == expected.count, "\(names(inSQL))")
        #expect(names(inPython) == names(inSQL), "\(names(inPython))")
    }

    /// Numbers a double cannot hold. JSON bounds neither, jsonb keeps them as written, and the worker reads
    /// every stored number as a double: a row with 1e-400 was stored, could not be read back, and the
    /// worker's evaluation stopped at that series for every series behind it. Now 1e-400 is stored as 0
    /// (as JSON parsers read it) and 1e400 is refused by name, in rows and settings; data already stored
    /// that the worker cannot read is recorded on its series and never holds up the others.
    @Test func numbersADoubleCannotHoldNeverStopTheEvaluation() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connect()
        func refused(_ sql: String) -> String {
            do { _ = try db.execute(PGQuery(unsafeSQL: sql)); return "accepted" } catch { return "\(error)" }
        }
        #expect(refused("SELECT isomine.start_monitor('huge', '{\"margin\": 1e400}')").contains("setting margin is 1000000"))
        #expect(refused("SELECT isomine.start_monitor('huge', '{\"margin\": 0.2, \"learning_rate\": 1e-400}')").contains("setting learning_rate must be positive, got 0"))
        #expect(refused("SELECT isomine.start_monitor('huge', '{\"margin\": 0.2, \"learning_rate\": -1e400}')").contains("setting learning_rate is -1000000"))
        #expect(try db.execute("SELECT count(*) AS n FROM isomine.series").int(0, "n") == 0)

        // Legacy data the functions no longer accept, written as an administrator (or an earlier version)
        // could: a setting over 1e300, and a row with a number under 1e-300. Made first, so a worker
        // evaluating the series in creation order meets them before the good one.
        try db.execute(#"INSERT INTO isomine.series (name, baseline_step, monitor, created_at) VALUES ('legacy-setting', 0, '{"margin": 1e400}', now() - interval '2 minutes')"#)
        try db.execute(#"INSERT INTO isomine.series (name, baseline_step, monitor, created_at) VALUES ('legacy-row', 0, '{"margin": 0.2}', now() - interval '1 minute')"#)
        for series in ["legacy-setting", "legacy-row"] {
            try db.execute("""
                INSERT INTO isomine.series_signals (series, step, signals) VALUES
                    (\(series), 0, '{"loss": 0.2, "active_fraction": 1, "mean_positive": 0.5, "mean_negative": 0.5, "gap": 0, "batch_spread": 1}'),
                    (\(series), 2, '{"loss": 0.2, "active_fraction": 1, "mean_positive": 0.5, "mean_negative": 0.5, "gap": 1e-400, "batch_spread": 1}')
                """)
        }
        // A good series whose rows warn at step 2, with 1e-400 in them: stored as 0, and a resend is skipped.
        _ = try db.execute("SELECT isomine.start_monitor('tiny-numbers', '{\"margin\": 0.2}')")
        let rows = PGJSON(text: #"[{"step": 0, "loss": 0.2, "active_fraction": 1, "mean_positive": 0.5, "mean_negative": 0.5, "gap": -1e-400, "batch_spread": 1}, {"step": 2, "loss": 0.2, "active_fraction": 1, "mean_positive": 0.01, "mean_negative": 0.01, "gap": 1e-400, "batch_spread": 0.01}]"#)
        #expect(try db.execute("SELECT isomine.submit_signals('tiny-numbers', \(rows)) AS n").int(0, "n") == 2)
        #expect(try db.execute("SELECT isomine.submit_signals('tiny-numbers', \(rows)) AS n").int(0, "n") == 0, "a resend is skipped")
        #expect(try db.execute("SELECT count(*) AS n FROM isomine.series_signals WHERE series = 'tiny-numbers' AND signals->'gap' = '0'").int(0, "n") == 2)
        let big = #"[{"step": 4, "loss": 0.2, "active_fraction": 1, "mean_positive": 0.01, "mean_negative": 0.01, "gap": 0, "batch_spread": 1e400}]"#
        #expect(refused("SELECT isomine.submit_signals('tiny-numbers', '\(big)')").contains("row 1 field batch_spread is 1000000"))

        let worker = try IsomineBinary.start(["worker"], database: scratch.name, environment: ["ISOMINE_REPORTS_ROOT": TempFolder("monitor-doubles").path])
        defer { worker.stop() }
        func warned() -> Bool { ((try? db.execute("SELECT warning_step AS s FROM isomine.series WHERE name = 'tiny-numbers'").int(0, "s")) ?? nil) == 2 }
        #expect(waitUntil(60) { warned() }, "the good series behind the unreadable ones was evaluated")
        for series in ["legacy-setting", "legacy-row"] {
            #expect(try db.execute("SELECT signals_evaluated AS s FROM isomine.series WHERE name = \(series)").int(0, "s") == 2, "\(series) left as read")
            #expect(try db.execute("SELECT count(*) AS n FROM isomine.series_signals WHERE series = \(series)").int(0, "n") == 2, "nothing stored is lost")
        }
    }

    /// A database that answers with a server error other than a refusal (here start_monitor fails with
    /// SQLSTATE 55000): observe never raises, the rows are kept, and the log names the error once as the
    /// database not taking the rows — not as a database it cannot reach.
    @Test func aServerErrorIsNamedAsSuchAndTheRowsAreKept() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connect()
        try db.execute("""
            CREATE OR REPLACE FUNCTION isomine.start_monitor(series text, settings jsonb, embeddings bytea DEFAULT NULL, labels bytea DEFAULT NULL)
            RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'monitors are paused' USING ERRCODE = 'object_not_in_prerequisite_state'; END $$
            """)
        let out = try runPython(fixtures + "/monitor_server_error.py", ["dbname=\(scratch.name)", "sick-run"])
        #expect(out.status == 0, "\(out.err)")
        let result = try JSONValue.parse(Data(out.out.utf8))
        #expect(result["raised"] == .null, "\(out.out)")
        #expect(result["pending"] == .number(6), "\(out.out)")
        #expect(out.err.components(separatedBy: "the database did not take the rows (SQLSTATE 55000: monitors are paused)").count == 2, "said once: \(out.err)")
        #expect(!out.err.contains("cannot reach the database"), "\(out.err)")
    }

    /// The database stops and starts again under a running monitor: observe never raises, the rows of
    /// the outage are kept and sent once it is back, and the log says so once each way.
    @Test func rowsSurviveADatabaseOutage() throws {
        let cluster = try PrivateCluster()
        let db = try PGConnection(cluster.conninfo)
        try Migrator.migrate(db)
        let folder = TempFolder("monitor-outage")
        let run = try startPython(fixtures + "/monitor_outage.py", [cluster.conninfo, "outage-run", folder.path])
        #expect(waitUntil(60) { run.output.contains("\"sent\": true") }, "\(run.output) \(run.errors)")
        try cluster.run("stop")
        folder.write("down", "")
        #expect(waitUntil(60) { run.output.contains("\"kept\"") }, "\(run.errors)")
        try cluster.run("start")
        folder.write("up", "")
        try run.wait(within: 180)
        #expect(run.terminationStatus == 0, "\(run.errors)")
        let last = try JSONValue.parse(Data((run.output.split(separator: "\n").last ?? "").utf8))
        #expect(last["pending"] == .number(0) && last["errors"] == .array([]), "\(run.output)")
        if case .number(let kept)? = try JSONValue.parse(Data(run.output.split(separator: "\n")[1].utf8))["kept"] {
            #expect(kept == 20, "the outage's rows were kept: \(kept)")
        }
        let fresh = try PGConnection(cluster.conninfo)
        #expect(try fresh.execute("SELECT count(*) AS n FROM isomine.series_signals WHERE series = 'outage-run'").int(0, "n") == 40)
        #expect(run.errors.components(separatedBy: "cannot reach the database").count == 2, "said once: \(run.errors)")
        #expect(run.errors.contains("the database is reachable again"), "\(run.errors)")
    }

    @Test func packageInstallsWithPip() throws {
        let venv = TempFolder("monitor-venv")
        let made = try runCommand("/usr/bin/python3", ["-m", "venv", "--system-site-packages", venv.path + "/env"], within: 120)
        #expect(made.status == 0, "\(made.err)")
        let pip = try runCommand(venv.path + "/env/bin/python", ["-m", "pip", "install", "--no-index", "--no-build-isolation", "--no-deps", "-q",
                                                                 projectRoot + "/clients/python"], within: 300)
        #expect(pip.status == 0, "\(pip.out) \(pip.err)")
        let check = try runCommand(venv.path + "/env/bin/python", ["-c", """
            import isomine, isomine_client, os, numpy as np
            assert not isomine.__file__.startswith(os.path.realpath('\(projectRoot)')), isomine.__file__
            s = isomine.batch_signals(np.eye(4), np.array([0, 0, 1, 1]), 0.2)
            print(isomine.__version__, sorted(s) == sorted(isomine.FIELDS), callable(isomine_client.submit))
            """], within: 60)
        #expect(check.status == 0, "\(check.err)")
        #expect(check.out.hasSuffix("True True\n"), "\(check.out)")
    }
}
