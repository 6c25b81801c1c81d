// `isomine compare`: two series, a sweep's runs and train jobs on one page under the reports root,
// listed on the index; names that do not exist, too many or too few runs, page names with path
// characters and hostile run names: a clear error or an escaped page, never a file outside the root.
import Foundation
import Jobs
import TestSupport
import Testing
@testable import Postgres
@testable import Queue

@Suite struct CompareTests {
    @Test func seriesAndSweepRunsCompareOnOnePageListedOnTheIndex() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let submitted = try runPython(projectRoot + "/Tests/WorkersTests/Fixtures/submit_series.py", ["dbname=\(scratch.name)", "run-a"])
        #expect(submitted.status == 0, "\(submitted.err)")
        let second = try runPython(projectRoot + "/Tests/WorkersTests/Fixtures/submit_series.py", ["dbname=\(scratch.name)", "run-b"])
        #expect(second.status == 0, "\(second.err)")
        let sweep = try JobQueue.enqueue(db, kind: "sweep", spec: queuedSweep)
        let hostile = #"<script>alert("x")</script>&'"#
        let named = try JobQueue.enqueue(db, kind: "train", spec: quickTrain.replacingOccurrences(of: #""name":"hooked""#, with: #""name":\#(String(decoding: try JSONValue.string(hostile).serialized(pretty: false), as: UTF8.self))"#))
        let worker = try IsomineBinary.run(["worker", "--exit-when-idle"], database: scratch.name)
        #expect(worker.status == 0, "\(worker.err)")
        let root = reportsRoot(scratch.name)

        // Two series.
        let two = try IsomineBinary.run(["compare", "run-a", "series:run-b", "--name", "ab"], database: scratch.name)
        #expect(two.status == 0, "\(two.out) \(two.err)")
        #expect(two.out.hasPrefix(root + "/compare/ab/index.html") && two.out.contains("(2 runs)"), "\(two.out)")
        let page = try String(contentsOfFile: root + "/compare/ab/index.html", encoding: .utf8)
        #expect(page.contains("series run-a") && page.contains("series run-b") && page.contains("href=\"../../series-run-a/index.html\""))
        #expect(page.contains("P@1 by step") && page.contains("Spread against the margin α by step") && page.contains("Verdict by step"))
        #expect(page.contains("1 · series run-a: collapsed at step 3"), "each run's first collapse is marked")
        #expect(page.contains("isomine compare run-a series:run-b --name ab"))
        let index = try String(contentsOfFile: root + "/index.html", encoding: .utf8)
        #expect(index.contains("<a href=\"compare/ab/index.html\">ab</a>"), "the index lists the comparison")

        // A sweep's runs (its id stands for all of them) with a train job whose name is hostile.
        let runs = try db.execute("SELECT count(*) AS n FROM isomine.jobs WHERE parent_id = \(sweep)").int(0, "n") ?? 0
        #expect(runs == 8)
        let sweepPage = try IsomineBinary.run(["compare", String(sweep), String(named)], database: scratch.name)
        #expect(sweepPage.status == 0, "\(sweepPage.out) \(sweepPage.err)")
        let path = sweepPage.out.split(separator: " ").first.map(String.init) ?? ""
        let html = try String(contentsOfFile: path, encoding: .utf8)
        #expect(html.contains("comparison of 9 runs"), "\(path)")
        // The settings that differ between the runs are listed; the hostile name is escaped.
        #expect(html.contains("<th class=\"text\">model.embedding_dim</th>") && html.contains("<th class=\"text\">seed</th>"), "\(html.prefix(3000))")
        #expect(!html.contains("<script>alert") && html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;"))

        // Bad requests: a clear error (status 2), nothing written.
        let before = try FileManager.default.contentsOfDirectory(atPath: root + "/compare").sorted()
        for (arguments, message) in [
            (["compare", "run-a", "no-such-series"], "no series named 'no-such-series'"),
            (["compare", "run-a", "999999"], "no job 999999"),
            (["compare", "run-a"], "compare needs at least two runs"),
            (["compare", "run-a", String(sweep), "run-b", String(named), "1", "2"], "compare overlays at most 12 runs; these name 13"),
            (["compare", "run-a", "run-b", "--name", "../outside"], "--name: '../outside' is not valid"),
            (["compare", "run-a", "run-b", "--name", "a/b"], "--name: 'a/b' is not valid"),
            (["compare", "run-a", "<b>x</b>"], "'<b>x</b>' is neither a job id nor a series name"),
            (["compare", "run-a", "../../etc"], "is neither a job id nor a series name"),
            (["compare", "run-a", "job:x"], "'job:x' is not a job"),
        ] {
            let r = try IsomineBinary.run(arguments, database: scratch.name)
            #expect(r.status == 2 && r.err.contains(message), "\(arguments): \(r.status) \(r.err)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/compare").sorted() == before)
        #expect(!FileManager.default.fileExists(atPath: (root as NSString).deletingLastPathComponent + "/outside"))
    }
}
