// Renders report pages from the embedded templates (swift-mustache escapes every {{value}}; the SVG,
// inserted raw, escapes its own text).
import Foundation
import Jobs
import Mustache
import Templates

/// A row of the index page.
public struct IndexEntry: Sendable {
    public var id: Int
    public var kind: String
    public var name: String
    public var state: String
    public var verdict: String?
    public var precisionAt1: Double?
    public var finishedAt: String?
    /// Relative link to the job's report, when it has one.
    public var link: String?

    public init(id: Int, kind: String, name: String, state: String, verdict: String?, precisionAt1: Double?, finishedAt: String?, link: String?) {
        self.id = id
        self.kind = kind
        self.name = name
        self.state = state
        self.verdict = verdict
        self.precisionAt1 = precisionAt1
        self.finishedAt = finishedAt
        self.link = link
    }
}

/// A report that could not be rendered.
public struct ReportError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Renders job, sweep and index pages.
public struct ReportRenderer: Sendable {
    let library: MustacheLibrary

    public init() throws {
        var library = MustacheLibrary()
        for (name, text) in Templates.all { try library.register(text, named: name) }
        self.library = library
    }

    /// The page of a train or analyze job.
    public func jobPage(_ doc: JobDocument, indexLink: String? = nil) throws -> String {
        try render(try JobReport(doc: doc, indexLink: indexLink).context(), "job")
    }

    /// The page of a sweep; `runLink` gives each run's report link.
    public func sweepPage(_ doc: JobDocument, indexLink: String? = nil, runLink: @escaping (SweepRun) -> String?) throws -> String {
        try render(try SweepReport(doc: doc, indexLink: indexLink, runLink: runLink).context(), "sweep")
    }

    /// The page of a series of analyze jobs.
    public func seriesPage(_ page: SeriesPage) throws -> String {
        try render(page.context(), "series")
    }

    /// The list of all jobs, newest first.
    public func indexPage(_ entries: [IndexEntry]) throws -> String {
        let jobs: [[String: Any]] = entries.sorted { $0.id > $1.id }.map { e in
            [
                "id": e.id, "kind": e.kind, "name": e.name, "state": e.state, "verdict": e.verdict ?? "",
                "p1": e.precisionAt1.map { String(format: "%.3f", $0) } ?? "", "finished": e.finishedAt ?? "",
            ].merging(e.link.map { ["link": $0] } ?? [:]) { $1 }
        }
        let generated = ISO8601DateFormatter().string(from: Date())
        return try render(["jobs": jobs, "count": entries.count, "generated": generated], "index")
    }

    func render(_ context: [String: Any], _ template: String) throws -> String {
        guard let html = library.render(context, withTemplate: template) else { throw ReportError("template '\(template)' is missing") }
        return html
    }
}
