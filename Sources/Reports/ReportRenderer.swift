// Renders report pages from the embedded templates (swift-mustache escapes every {{value}}; the SVG,
// inserted raw, escapes its own text).
import Foundation
import Jobs
import Mustache
import Vocabulary
import Templates

/// A row of the index page.
public struct IndexEntry: Sendable {
    public var id: Int
    public var kind: JobKind
    public var name: String
    public var state: JobState
    public var verdict: String?
    public var precisionAt1: Double?
    public var finishedAt: String?
    /// Relative link to the job's report, when it has one.
    public var link: String?
    /// The sweep this job is a run of, and the series it is a step of (with its step): the index lists
    /// such jobs under their parent.
    public var parentID: Int?
    public var series: String?
    public var seriesStep: Int?
    /// Relative link to the series page.
    public var seriesLink: String?

    public init(id: Int, kind: JobKind, name: String, state: JobState, verdict: String?, precisionAt1: Double?, finishedAt: String?, link: String?,
                parentID: Int? = nil, series: String? = nil, seriesStep: Int? = nil, seriesLink: String? = nil) {
        self.parentID = parentID
        self.series = series
        self.seriesStep = seriesStep
        self.seriesLink = seriesLink
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

    /// Pages of work in progress (a running job, a series or an index with steps or jobs not ended) reload
    /// themselves this often (a meta refresh: the pages stay static files); the page rewritten once the
    /// work has ended has none, so it stops.
    public static let refreshSeconds = 10

    /// The context's refresh entry: the interval while `inProgress`, else nothing.
    static func refresh(_ inProgress: Bool) -> [String: Any] { inProgress ? ["refresh": refreshSeconds] : [:] }

    public init() throws {
        var library = MustacheLibrary()
        for (name, text) in Templates.all { try library.register(text, named: name) }
        self.library = library
    }

    /// The page of a train or analyze job; a series step's page links back to its series (`seriesLink`).
    public func jobPage(_ doc: JobDocument, indexLink: String? = nil, seriesLink: String? = nil) throws -> String {
        try render(try JobReport(doc: doc, indexLink: indexLink, seriesLink: seriesLink).context().merging(ReportRenderer.refresh(!doc.state.isEnded)) { $1 }, "job")
    }

    /// The page of a sweep; `runLink` gives each run's report link.
    public func sweepPage(_ doc: JobDocument, indexLink: String? = nil, runLink: @escaping (SweepRun) -> String?) throws -> String {
        try render(try SweepReport(doc: doc, indexLink: indexLink, runLink: runLink).context().merging(ReportRenderer.refresh(!doc.state.isEnded)) { $1 }, "sweep")
    }

    /// The page of a series of analyze jobs.
    public func seriesPage(_ page: SeriesPage) throws -> String {
        try render(page.context().merging(ReportRenderer.refresh(page.steps.contains { !$0.state.isEnded })) { $1 }, "series")
    }

    /// The page comparing runs (`isomine compare`): a snapshot, made again to update it.
    public func comparePage(_ page: ComparePage) throws -> String {
        try render(page.context(), "compare")
    }

    /// The list of all jobs, newest first: a sweep's runs under the sweep, a series' steps under a row of
    /// the series (linking to its page); every name links to its report. `comparisons` are the pages
    /// `isomine compare` wrote (name and relative link), listed above the jobs.
    public func indexPage(_ entries: [IndexEntry], comparisons: [(name: String, link: String)] = []) throws -> String {
        func row(_ e: IndexEntry, nested: Bool) -> [String: Any] {
            var r: [String: Any] = [
                "id": e.id, "kind": e.kind.rawValue, "name": e.name.isEmpty ? "\(e.kind.rawValue) job \(e.id)" : e.name, "state": e.state.rawValue, "verdict": e.verdict ?? "",
                "p1": e.precisionAt1.map { String(format: "%.3f", $0) } ?? "", "finished": e.finishedAt ?? "",
                "nested": nested, "step": e.seriesStep.map { "step \($0)" } ?? "",
            ]
            if let link = e.link { r["link"] = link }
            return r
        }
        let sorted = entries.sorted { $0.id > $1.id }
        let shown = Set(sorted.map(\.id))
        let children = Dictionary(grouping: sorted.filter { $0.parentID.map(shown.contains) == true }, by: { $0.parentID! })
        var rows: [[String: Any]] = []
        var seriesDone = Set<String>()
        for e in sorted where e.parentID.map(shown.contains) != true {
            if let series = e.series {
                // One group per series, placed at its newest step; steps in step order under it.
                guard seriesDone.insert(series).inserted else { continue }
                let steps = sorted.filter { $0.series == series }.sorted { ($0.seriesStep ?? 0) < ($1.seriesStep ?? 0) }
                var head: [String: Any] = ["id": "", "kind": "series", "name": series, "state": "\(steps.count) steps",
                                           "verdict": steps.last?.verdict ?? "", "p1": "", "finished": steps.compactMap(\.finishedAt).max() ?? "",
                                           "nested": false, "step": "", "group": true]
                if let link = e.seriesLink { head["link"] = link }
                rows.append(head)
                rows += steps.map { row($0, nested: true) }
                continue
            }
            rows.append(row(e, nested: false))
            rows += (children[e.id] ?? []).sorted { $0.id < $1.id }.map { row($0, nested: true) }
        }
        let generated = ISO8601DateFormatter().string(from: Date())
        let compared = comparisons.map { ["name": $0.name, "link": $0.link] }
        return try render(["jobs": rows, "count": entries.count, "generated": generated, "comparisons": compared,
                           "hasComparisons": !compared.isEmpty].merging(ReportRenderer.refresh(entries.contains { !$0.state.isEnded })) { $1 }, "index")
    }

    func render(_ context: [String: Any], _ template: String) throws -> String {
        guard let html = library.render(context, withTemplate: template) else { throw ReportError("template '\(template)' is missing") }
        return html
    }
}
