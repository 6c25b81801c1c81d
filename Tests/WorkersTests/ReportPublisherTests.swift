// Reports of queued jobs: written by the worker under the reports root when a job ends, recorded
// with their sha256, listed on the index page; `isomine report ID` renders one again.
import Crypto
import TestSupport
import Foundation
import Testing
import Jobs
import Reports
@testable import Postgres
@testable import Queue
@testable import Webhooks
@testable import Workers

@Suite struct ReportPublisherTests {
    @Test func workerWritesReportsOfFinishedJobsAndTheIndex() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let folder = TempFolder("reports"), root = folder.path
        let publisher = try ReportPublisher(root: ReportsRoot(path: root))
        let train = try JobQueue.enqueue(db, kind: "train", spec: #"{"kind":"train","name":"<b>bold</b>","dataset":{"type":"blobs","classes":4,"per_class":20,"dim":4},"model":{"hidden":[16],"embedding_dim":4},"sampler":{"classes_per_batch":4,"samples_per_class":4},"steps":20,"eval_every":10,"estimators":{"iterations":5}}"#)
        let bad = try JobQueue.enqueue(db, kind: "train", spec: #"{"kind":"train","dataset":{"type":"digits"},"steps":0}"#)
        let sweep = try JobQueue.enqueue(db, kind: "sweep", spec: queuedSweep)
        let worker = Worker(db: db, owner: "w", runner: Runner(), reports: publisher)
        while try worker.runOne() != nil {}
        // What the worker loop does when idle: catch up the index page.
        try publisher.flushIndex(db)
        #expect(try state(db, sweep) == "succeeded")

        let html = try String(contentsOfFile: root + "/job-\(train)/index.html", encoding: .utf8)
        #expect(html.contains("&lt;b&gt;bold&lt;/b&gt;") && !html.contains("<b>bold"))
        #expect(html.contains(#"<a href="../index.html">all jobs</a>"#) && html.contains("fstar-title"))
        let row = try db.execute("SELECT path, sha256 FROM isomine.reports WHERE job_id = \(train)")
        #expect(try row.string(0, "path") == "job-\(train)/index.html")
        let digest = SHA256.hash(data: Data(html.utf8)).map { String(format: "%02x", $0) }.joined()
        #expect(try row.string(0, "sha256") == digest)
        // A failed job gets a report with its error; the sweep's page links to its runs' reports.
        let failed = try String(contentsOfFile: root + "/job-\(bad)/index.html", encoding: .utf8)
        #expect(failed.contains("Last error: spec.steps: must be between 1 and 100000000, got 0"))
        let sweepPage = try String(contentsOfFile: root + "/job-\(sweep)/index.html", encoding: .utf8)
        let firstRun = try #require(try db.execute("SELECT min(id) AS id FROM isomine.jobs WHERE parent_id = \(sweep)").int(0, "id"))
        #expect(sweepPage.contains(#"href="../job-\#(firstRun)/index.html""#))
        #expect(FileManager.default.fileExists(atPath: root + "/job-\(firstRun)/index.html"))
        // Every job is on the index, newest first, with a link to its report.
        let index = try String(contentsOfFile: root + "/index.html", encoding: .utf8)
        #expect(index.contains(#"<a href="job-\#(train)/index.html">"#) && index.contains(#"<a href="job-\#(sweep)/index.html">"#))
        #expect(index.contains(#"<td class="text nested"><a href="job-\#(firstRun)/index.html">"#), "the sweep's runs are listed under it")
        #expect(try count(db, "SELECT count(*) AS n FROM isomine.reports") == 11)

        // `isomine report ID` renders it again, to the root it is given.
        let other = root + "/elsewhere"
        let cli = try IsomineBinary.start(["report", String(train)], database: scratch.name, environment: ["ISOMINE_REPORTS_ROOT": other])
        try cli.wait()
        #expect(cli.terminationStatus == 0)
        #expect(FileManager.default.fileExists(atPath: other + "/job-\(train)/index.html") && FileManager.default.fileExists(atPath: other + "/index.html"))
        let missing = try IsomineBinary.start(["report", "999999"], database: scratch.name, environment: ["ISOMINE_REPORTS_ROOT": other])
        try missing.wait()
        #expect(missing.terminationStatus == 1)
    }

    @Test func runningJobsPageFollowsItsEvaluationsWhenAsked() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let folder = TempFolder("progress"), root = folder.path
        let id = try JobQueue.enqueue(db, kind: "train", spec: #"{"kind":"train","dataset":{"type":"blobs","classes":4,"per_class":20,"dim":4},"model":{"hidden":[16],"embedding_dim":4},"sampler":{"classes_per_batch":4,"samples_per_class":4},"steps":100000,"eval_every":20,"estimators":{"enabled":false}}"#)
        var polls = 0
        // Stop (as a shutdown would) after about 100 steps: the page shows the run so far.
        let worker = Worker(db: db, owner: "w", runner: Runner(), reports: try ReportPublisher(root: ReportsRoot(path: root)),
                            shuttingDown: { polls += 1; return polls > 100 })
        worker.reportEachEvaluation = true
        // In-process, so the shutdown flag is polled once per step.
        worker.childExecutable = nil
        #expect(try worker.runOne() == id)
        let html = try String(contentsOfFile: root + "/job-\(id)/index.html", encoding: .utf8)
        #expect(html.contains("state running") && html.contains("latest evaluation") && html.contains("retrieval-title"))
        #expect(html.contains("step 80") || html.contains("step 100"))
        // No report.ready for a page in progress.
        #expect(try count(db, "SELECT count(*) AS n FROM isomine.job_events WHERE type = 'report.ready'") == 0)
    }

    /// A reports folder belongs to the database that first wrote into it: another database's `report`
    /// and worker are refused with a clear error, and the first database's pages stay as they were.
    @Test func foreignReportsFolderIsRefused() throws {
        let first = try ScratchDatabase(migrated: true), second = try ScratchDatabase(migrated: true)
        let a = try first.connectMigrated(), b = try second.connectMigrated()
        let folder = TempFolder("owner"), root = folder.path
        let id = try JobQueue.enqueue(a, kind: "analyze", spec: quickAnalyze)
        _ = try JobQueue.enqueue(b, kind: "analyze", spec: quickAnalyze)
        let publisher = try ReportPublisher(root: ReportsRoot(path: root))
        let worker = Worker(db: a, owner: "w", runner: Runner(), reports: publisher)
        #expect(try worker.runOne() == id)
        let page = try String(contentsOfFile: root + "/job-\(id)/index.html", encoding: .utf8)
        let index = try String(contentsOfFile: root + "/index.html", encoding: .utf8)
        let other = try IsomineBinary.run(["report", String(id)], database: second.name, environment: ["ISOMINE_REPORTS_ROOT": root])
        #expect(other.status == 1 && other.err.contains("belongs to another isomine database"), "\(other.err)")
        let otherWorker = try IsomineBinary.run(["worker", "--exit-when-idle"], database: second.name, environment: ["ISOMINE_REPORTS_ROOT": root])
        #expect(otherWorker.status == 2 && otherWorker.err.contains("belongs to another isomine database"), "\(otherWorker.err)")
        #expect(try String(contentsOfFile: root + "/job-\(id)/index.html", encoding: .utf8) == page)
        #expect(try String(contentsOfFile: root + "/index.html", encoding: .utf8) == index)
        // The owner itself still writes there.
        let same = try IsomineBinary.run(["report", String(id)], database: first.name, environment: ["ISOMINE_REPORTS_ROOT": root])
        #expect(same.status == 0, "\(same.err)")
    }

    /// With jobs ending back to back the index is rewritten at most once per interval, and caught up
    /// by `flushIndex` (the worker calls it when idle and before exiting).
    @Test func indexIsNotRewrittenAfterEveryJob() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let folder = TempFolder("index"), root = folder.path
        var publisher = try ReportPublisher(root: ReportsRoot(path: root))
        publisher.indexInterval = 3600
        let ids = try (0..<3).map { _ in try JobQueue.enqueue(db, kind: "analyze", spec: quickAnalyze) }
        let worker = Worker(db: db, owner: "w", runner: Runner(), reports: publisher)
        worker.childExecutable = nil
        for _ in ids { _ = try worker.runOne() }
        let index = try String(contentsOfFile: root + "/index.html", encoding: .utf8)
        // Written after the first job only.
        #expect(index.contains("job-\(ids[0])/index.html") && !index.contains("job-\(ids[2])/index.html"))
        for id in ids { #expect(FileManager.default.fileExists(atPath: root + "/job-\(id)/index.html")) }
        try publisher.flushIndex(db)
        #expect(try String(contentsOfFile: root + "/index.html", encoding: .utf8).contains("job-\(ids[2])/index.html"))
        // Through the worker loop (--exit-when-idle), the index is complete when it exits.
        _ = try JobQueue.enqueue(db, kind: "analyze", spec: quickAnalyze)
        let last = try JobQueue.enqueue(db, kind: "analyze", spec: quickAnalyze)
        let run = try IsomineBinary.run(["worker", "--exit-when-idle"], database: scratch.name, environment: ["ISOMINE_REPORTS_ROOT": root])
        #expect(run.status == 0, "\(run.err)")
        #expect(try String(contentsOfFile: root + "/index.html", encoding: .utf8).contains("job-\(last)/index.html"))
    }
}
