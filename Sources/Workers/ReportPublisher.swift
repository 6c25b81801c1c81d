// Reports of queued jobs: rendered from the job's row and artifacts into the reports root
// (job-ID/index.html, and index.html listing every job), recorded in isomine.reports with their sha256.
import Vocabulary
import Postgres
import Queue
import Webhooks
import Crypto
import Foundation
import Jobs
import Reports

/// A report written for a job.
public struct PublishedReport: Sendable, Equatable {
    public var jobID: Int
    /// Path relative to the reports root.
    public var relativePath: String
    public var fullPath: String
    public var sha256: String
}

/// Renders and records job reports.
public struct ReportPublisher: Sendable {
    public let root: ReportsRoot
    /// Base of report links in webhooks (`ISOMINE_PUBLIC_URL`; default file:// and the root).
    public let publicBase: String
    let renderer: ReportRenderer
    /// Shared by every copy (all the worker's threads): when the index was last written, and whether a
    /// report has been published since.
    let index = IndexSchedule()
    /// The index page is rewritten at most this often while jobs keep ending; the rest of the time
    /// `flushIndex` catches up (the worker calls it when idle and before exiting).
    public var indexInterval = 5.0

    public init(root: ReportsRoot, publicBase: String? = nil) throws {
        self.root = root
        let base = publicBase ?? "file://" + root.path
        self.publicBase = base.hasSuffix("/") ? String(base.dropLast()) : base
        renderer = try ReportRenderer()
    }

    /// The root and public URL from `ISOMINE_REPORTS_ROOT` and `ISOMINE_PUBLIC_URL`.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> ReportPublisher {
        try ReportPublisher(root: .fromEnvironment(env), publicBase: env["ISOMINE_PUBLIC_URL"].flatMap { $0.isEmpty ? nil : $0 })
    }

    /// Where a job's report lives, relative to the root.
    public static func relativePath(_ id: Int) -> String { "job-\(id)/index.html" }

    /// The public URL of a job's report.
    public func url(_ id: Int) -> String { publicBase + "/" + ReportPublisher.relativePath(id) }

    /// The file in a reports folder naming the database whose pages it holds.
    public static let ownerFile = ".isomine-database"

    /// Makes sure the reports folder belongs to this database: a folder without an owner is claimed
    /// (written `ownerFile`), one owned by another database is refused — its pages and index would be
    /// overwritten by pages of unrelated jobs with the same ids.
    public func checkOwnership(_ db: PGConnection) throws {
        guard let instance = try db.execute("SELECT id::text AS id FROM isomine.instance").first("id", as: String.self) else {
            throw ReportFolderError("isomine.instance is empty; run `isomine migrate`")
        }
        let path = (root.path as NSString).appendingPathComponent(ReportPublisher.ownerFile)
        if let existing = try? String(contentsOfFile: path, encoding: .utf8) {
            let owner = existing.trimmingCharacters(in: .whitespacesAndNewlines)
            if owner != instance {
                throw ReportFolderError("the reports folder \(root.path) belongs to another isomine database (\(owner), this one is \(instance)); use another ISOMINE_REPORTS_ROOT, or delete \(ReportPublisher.ownerFile) there if that database is gone")
            }
            return
        }
        try FileManager.default.createDirectory(atPath: root.path, withIntermediateDirectories: true)
        try Data((instance + "\n").utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Renders job `id` (any state), records it, and rewrites the index page.
    @discardableResult
    public func publish(_ db: PGConnection, jobID id: Int) throws -> PublishedReport {
        try checkOwnership(db)
        let doc = try ReportPublisher.document(db, id)
        let html: String
        if doc.kind == .sweep {
            html = try renderer.sweepPage(doc, indexLink: "../index.html") { run in run.id.map { "../job-\($0)/index.html" } }
        } else {
            html = try renderer.jobPage(doc, indexLink: "../index.html", seriesLink: ReportPublisher.seriesLink(doc))
        }
        let relative = ReportPublisher.relativePath(id)
        let full = try root.write(html, to: relative)
        let digest = SHA256.hash(data: Data(html.utf8)).map { String(format: "%02x", $0) }.joined()
        try db.execute("""
            INSERT INTO isomine.reports (job_id, path, sha256) VALUES (\(id), \(relative), \(digest))
            ON CONFLICT (job_id) DO UPDATE SET path = excluded.path, sha256 = excluded.sha256, created_at = now()
            """)
        try publishIndexIfDue(db)
        // report.ready: the link, the digest and the headline figures; endpoints added with
        // --attach-report also get the page itself (the trigger keeps it out of job_events).
        var data: [String: JSONValue] = [
            "url": .string(url(id)), "path": .string(relative), "sha256": .string(digest), "_report_html": .string(html),
        ]
        if let v = doc.result?["verdict"] { data["verdict"] = v }
        for (key, path) in [("precision_at_1", ["final", "eval", "precision_at_1"]), ("map_at_r", ["final", "eval", "map_at_r"]),
                            ("l_hard", ["final", "estimators", "l_hard"]), ("d_iso", ["final", "estimators", "d_iso"]),
                            ("d_haus", ["final", "estimators", "d_haus"]), ("summary", ["summary"])] {
            var v: JSONValue? = doc.result
            for k in path { v = v?[k] }
            if let v { data[key] = v }
        }
        try JobEvents.record(db, id, .reportReady, .object(data))
        return PublishedReport(jobID: id, relativePath: relative, fullPath: full, sha256: digest)
    }

    /// A job page's link to its series' page (from `job-ID/`), for a series step.
    static func seriesLink(_ doc: JobDocument) -> String? { doc.seriesStep.map { "../" + seriesPath($0.series) } }

    /// The public URL of a series' page.
    public func seriesURL(_ name: String) -> String { publicBase + "/" + ReportPublisher.seriesPath(name) }

    /// `series-NAME/index.html` (series names are 1–100 of A-Z a-z 0-9 _ . - starting with a letter or digit: safe in a path).
    public static func seriesPath(_ name: String) -> String { "series-\(name)/index.html" }

    /// Writes the page of a series from its steps' rows.
    @discardableResult
    public func publishSeries(_ db: PGConnection, name: String) throws -> String {
        try checkOwnership(db)
        guard let (summary, steps) = try SeriesStore.results(db, name: name) else { throw ReportSubjectMissing("series '\(name)' does not exist") }
        let monitor = try MonitorStore.page(db, series: name).map {
            SeriesMonitorPage(rows: $0.rows.map { ($0.step, $0.signals) }, risk: $0.risk, warning: $0.warning, settings: $0.settings)
        }
        let page = SeriesPage(name: name, baselineStep: summary.baselineStep, steps: steps.map { s in
            SeriesPageStep(step: s.step, jobID: s.jobID, state: s.state, result: s.result, provisional: s.provisional, lastError: s.lastError,
                           link: "../" + ReportPublisher.relativePath(s.jobID))
        }, indexLink: "../index.html", monitor: monitor, margin: summary.margin,
           normalized: summary.normalize == true)
        return try root.write(try renderer.seriesPage(page), to: ReportPublisher.seriesPath(name))
    }

    /// Renders a running analysis' page from its row (its provisional verdict; no report.ready event,
    /// no index rewrite: those come when the job ends).
    public func publishRunning(_ db: PGConnection, jobID id: Int) throws {
        try checkOwnership(db)
        let doc = try ReportPublisher.document(db, id)
        try root.write(try renderer.jobPage(doc, indexLink: "../index.html", seriesLink: ReportPublisher.seriesLink(doc)), to: ReportPublisher.relativePath(id))
    }

    /// Re-renders a running train job's page from the evaluations so far and its collapse warning, if
    /// one fired (no report.ready event, no index rewrite: those come when the job ends).
    public func publishProgress(_ db: PGConnection, jobID id: Int, history: [JSONValue], warning: JSONValue? = nil) throws {
        try checkOwnership(db)
        var doc = try ReportPublisher.document(db, id)
        guard let last = history.last else { return }
        var result: [String: JSONValue] = ["kind": .string("train"), "history": .array(history), "final": last, "verdict": last["verdict"] ?? .null]
        if let warning { result["warning"] = warning }
        doc.result = .object(result)
        try root.write(try renderer.jobPage(doc, indexLink: "../index.html"), to: ReportPublisher.relativePath(id))
    }

    /// Rewrites the index unless it was written within `indexInterval` (then it is marked stale): with
    /// thousands of jobs ending back to back, the index is not rebuilt after every one of them.
    func publishIndexIfDue(_ db: PGConnection) throws {
        if index.claim(interval: indexInterval) { try publishIndex(db) }
    }

    /// Rewrites the index if a report was published since it was last written.
    public func flushIndex(_ db: PGConnection) throws {
        if index.claimIfStale() { try publishIndex(db) }
    }

    /// index.html: the newest 1000 jobs with state, verdict and a link to each report.
    @discardableResult
    public func publishIndex(_ db: PGConnection) throws -> String {
        try checkOwnership(db)
        let rows = try db.execute("""
            SELECT j.id, j.kind, coalesce(j.spec->>'name', '') AS name, j.state, j.result->>'verdict' AS verdict,
                   j.parent_id, j.series, j.series_step,
                   (j.result->'final'->'eval'->>'precision_at_1')::double precision AS p1,
                   to_char(j.finished_at, 'YYYY-MM-DD HH24:MI:SS') AS finished, r.path
              FROM isomine.jobs j LEFT JOIN isomine.reports r ON r.job_id = j.id
             ORDER BY j.id DESC LIMIT 1000
            """)
        struct Row: Decodable {
            let id: Int, kind: JobKind, name: String, state: JobState, verdict: String?, parent_id: Int?, series: String?, series_step: Int?
            let p1: Double?, finished: String?, path: String?
        }
        let entries = try rows.decode(Row.self).map {
            IndexEntry(id: $0.id, kind: $0.kind, name: $0.name, state: $0.state, verdict: $0.verdict, precisionAt1: $0.p1, finishedAt: $0.finished,
                       link: $0.path, parentID: $0.parent_id, series: $0.series, seriesStep: $0.series_step,
                       seriesLink: $0.series.map(ReportPublisher.seriesPath))
        }
        return try root.write(try renderer.indexPage(entries, comparisons: comparisons()), to: "index.html")
    }

    /// The job as the report sees it: its row and its artifacts.
    static func document(_ db: PGConnection, _ id: Int) throws -> JobDocument {
        struct Row: Decodable {
            let kind: JobKind, state: JobState, spec: JSONValue, result: JSONValue?, provisional: JSONValue?
            let last_error: String?, created: String?, started: String?, finished: String?
        }
        struct Artifact: Decodable { let name: String, data: PGBytes }
        let rows = try db.execute("""
            SELECT kind, state, spec, result, provisional, last_error,
                   to_char(created_at, 'YYYY-MM-DD HH24:MI:SS') AS created, to_char(started_at, 'YYYY-MM-DD HH24:MI:SS') AS started,
                   to_char(finished_at, 'YYYY-MM-DD HH24:MI:SS') AS finished
              FROM isomine.jobs WHERE id = \(id)
            """)
        guard let row = try rows.decodeOne(Row.self) else { throw ReportSubjectMissing("job \(id) does not exist") }
        let artifacts = try db.execute("SELECT name, data FROM isomine.artifacts WHERE job_id = \(id)").decode(Artifact.self)
        var doc = JobDocument(
            id: id, kind: row.kind, state: row.state, spec: row.spec, result: row.result, lastError: row.last_error,
            createdAt: row.created, startedAt: row.started, finishedAt: row.finished,
            artifacts: Dictionary(artifacts.map { ($0.name, $0.data.bytes) }, uniquingKeysWith: { a, _ in a }))
        doc.provisional = row.provisional
        return doc
    }
}

/// A reports folder that cannot be used for this database.
/// A page was asked for a job or series the database does not have.
public struct ReportSubjectMissing: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

public struct ReportFolderError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// When the index page was last written and whether it is stale (a lock: worker threads share it).
final class IndexSchedule: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var lastWritten = Date.distantPast
    private var stale = false

    /// True (and the write recorded) when the index may be written now; else it is marked stale.
    func claim(interval: Double) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if Date().timeIntervalSince(lastWritten) >= interval {
            lastWritten = Date()
            stale = false
            return true
        }
        stale = true
        return false
    }

    /// True (and the write recorded) when the index is stale.
    func claimIfStale() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard stale else { return false }
        stale = false
        lastWritten = Date()
        return true
    }
}
