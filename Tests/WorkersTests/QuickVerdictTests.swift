// A quick verdict first (issue 23): every series step records a provisional verdict on its job row
// before the estimators run; the final verdict replaces it; events come from final verdicts only, once
// per series; a worker serving two series alternates their steps; a contradicted provisional verdict is
// said so by `series show` and the pages.
import Foundation
import TestSupport
import Testing
import Jobs
@testable import Postgres
@testable import Queue
@testable import Webhooks

private let emptyDataRoot = TempFolder("empty")

@Suite struct QuickVerdictTests {
    @Test func tenStepsOfTwoSeriesGetProvisionalAndFinalVerdictsTakeTurnsAndAnnounceOnce() throws {
        let hook = try WebhookScratch(events: ["collapse.warning", "collapse.detected"])
        let scratch = hook.scratch, db = hook.db, receiver = hook.receiver
        let submitted = try runPython(URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/submit_two_series.py").path,
                                      ["dbname=\(scratch.name)"])
        #expect(submitted.status == 0, "\(submitted.err)")
        // One job at a time, so the order the worker claims them in is the order they ran.
        let worker = try IsomineBinary.run(["worker", "--exit-when-idle", "--concurrency", "1"], database: scratch.name,
                                           environment: ["ISOMINE_DATA_ROOT": emptyDataRoot.path])
        #expect(worker.status == 0, "\(worker.err)")

        let expected: [String: [String]] = [
            "alpha": Array(repeating: "healthy", count: 5) + ["healthy", "partial"] + Array(repeating: "collapsed", count: 3),
            "beta": Array(repeating: "healthy", count: 4) + Array(repeating: "collapsed", count: 6),
        ]
        for (name, verdicts) in expected {
            let series = try JSONValue.parse(Data(try IsomineBinary.run(["series", "show", name, "--json"], database: scratch.name).out.utf8))
            guard case .array(let steps)? = series["steps"], steps.count == 10 else { Issue.record("\(name): \(series)"); continue }
            for (i, step) in steps.enumerated() {
                #expect(step["state"] == .string("succeeded"), "\(name) step \(i): \(step)")
                #expect(step["verdict"] == .string(verdicts[i]), "\(name) step \(i): \(step["verdict"] ?? .null)")
                // The provisional verdict was recorded, before the end, and the final one agrees with it.
                #expect(step["provisional"]?["verdict"] == .string(verdicts[i]), "\(name) step \(i): \(step["provisional"] ?? .null)")
                #expect(step["provisional"]?["headline"] == step["headline"], "\(name) step \(i)")
                #expect(step["provisional"]?["contradicted"] == .bool(false))
                guard case .number(let seconds)? = step["provisional"]?["seconds"] else { Issue.record("\(name) step \(i): no seconds"); continue }
                #expect(seconds >= 0)
            }
        }
        // Recorded before the job ended, on the row of every step.
        #expect(try db.execute("""
            SELECT count(*) AS n FROM isomine.jobs WHERE series IS NOT NULL AND provisional IS NOT NULL AND provisional_at <= finished_at
            """).int(0, "n") == 20)

        // The steps of the two series ran alternately, though every alpha step was queued first.
        struct Started: Decodable { let series: String }
        let order = try db.execute("SELECT series FROM isomine.jobs WHERE series IS NOT NULL ORDER BY started_at, id").decode(Started.self).map(\.series)
        #expect(order == (0..<20).map { $0 % 2 == 0 ? "alpha" : "beta" }, "\(order)")

        // Events from the final verdicts, once each: alpha warned at 6 and collapsed at 7, beta collapsed at 4;
        // each recorded after its step had ended.
        struct Event: Decodable { let series: String, type: String, step: Int, after_end: Bool }
        let events = try db.execute("""
            SELECT j.series, e.type, (e.data->>'step')::integer AS step, e.created_at >= j.finished_at AS after_end
              FROM isomine.job_events e JOIN isomine.jobs j ON j.id = e.job_id
             WHERE e.type IN ('collapse.warning', 'collapse.detected') ORDER BY j.series, e.id
            """).decode(Event.self)
        #expect(events.map { "\($0.series) \($0.type) \($0.step)" } == ["alpha collapse.warning 6", "alpha collapse.detected 7", "beta collapse.detected 4"])
        #expect(events.allSatisfy { $0.after_end })
        let delivered = receiver.requests().compactMap { r -> String? in
            guard case .string(let t)? = r["payload"]?["type"], case .string(let s)? = r["payload"]?["data"]?["series"] else { return nil }
            return "\(s) \(t)"
        }
        #expect(delivered.sorted() == ["alpha collapse.detected", "alpha collapse.warning", "beta collapse.detected"], "\(delivered)")

        // The job page says the provisional verdict was the same.
        let betaFour = try #require(try db.execute("SELECT id FROM isomine.jobs WHERE series = 'beta' AND series_step = 4").int(0, "id"))
        let root = reportsRoot(scratch.name)
        let page = try String(contentsOfFile: "\(root)/job-\(betaFour)/index.html", encoding: .utf8)
        #expect(page.contains("The provisional verdict (after ") && page.contains("was the same: collapsed"), "\(page.prefix(3000))")

        // A provisional verdict the final one contradicts (made so here: the rule gives none on these
        // steps): `series show` and both pages say so, and no event was added for it.
        try db.execute("""
            UPDATE isomine.jobs SET provisional = jsonb_set(jsonb_set(provisional, '{verdict}', '"healthy"'), '{headline}', '"healthy"')
             WHERE id = \(betaFour)
            """)
        let table = try IsomineBinary.run(["series", "show", "beta"], database: scratch.name).out
        #expect(table.contains("contradicts the provisional healthy; no event was sent for it"), "\(table)")
        let json = try JSONValue.parse(Data(try IsomineBinary.run(["series", "show", "beta", "--json"], database: scratch.name).out.utf8))
        guard case .array(let betaSteps)? = json["steps"], betaSteps.count == 10 else { Issue.record("\(json)"); return }
        #expect(betaSteps[4]["provisional"]?["contradicted"] == .bool(true))
        let republished = try IsomineBinary.run(["report", String(betaFour)], database: scratch.name)
        #expect(republished.status == 0, "\(republished.err)")
        let contradicted = try String(contentsOfFile: "\(root)/job-\(betaFour)/index.html", encoding: .utf8)
        #expect(contradicted.contains("The final verdict contradicts the provisional one") && contradicted.contains("no event was sent for the provisional one"))
        let seriesPage = try String(contentsOfFile: "\(root)/series-beta/index.html", encoding: .utf8)
        #expect(seriesPage.contains("(contradicts the provisional healthy)"))
        #expect(try db.execute("SELECT count(*) AS n FROM isomine.job_events WHERE type IN ('collapse.warning', 'collapse.detected')").int(0, "n") == 3)
    }
}
