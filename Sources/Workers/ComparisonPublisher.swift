// `isomine compare`: the runs named on the command line — series, train or analyze jobs, a sweep's runs —
// read from the database into one comparison page under the reports root (compare/NAME/index.html),
// listed on the index page.
import Crypto
import Foundation
import Jobs
import Postgres
import Queue
import Reports
import Specs
import Vocabulary

/// What `isomine compare` was asked to compare: a series by name, or a job by id.
public enum CompareTarget: Equatable, Hashable, Sendable {
    case series(String)
    case job(Int)

    /// `series:NAME`, `job:ID`, a bare whole number (a job id) or a bare series name.
    public static func parse(_ text: String) throws -> CompareTarget {
        if text.hasPrefix("job:") {
            guard let id = Int(text.dropFirst(4)), id > 0 else { throw QueueError("'\(text.prefix(100))' is not a job: write job:ID with a job id, e.g. job:12") }
            return .job(id)
        }
        let name = text.hasPrefix("series:") ? String(text.dropFirst(7)) : text
        if !text.hasPrefix("series:"), let id = Int(text), id > 0 { return .job(id) }
        guard SpecLimits.isSeriesName(name) else {
            throw QueueError("'\(text.prefix(100))' is neither a job id nor a series name (series names are 1 to 100 of A-Z a-z 0-9 _ . - starting with a letter or digit)")
        }
        return .series(name)
    }
}


extension ReportPublisher {
    /// The folder of the reports root holding the comparison pages.
    public static let comparisonsFolder = "compare"

    /// Reads the targets' runs, writes their comparison page as compare/NAME/index.html (NAME given, or
    /// made from the runs) and rewrites the index page, which lists it. Returns the page's path relative
    /// to the root and how many runs it overlays. Unknown names, fewer than 2 or more than 12 runs are
    /// refused (QueueError) before anything is written.
    public func publishComparison(_ db: PGConnection, targets: [CompareTarget], name: String?, command: String) throws -> (relativePath: String, runs: Int) {
        if let name, !SpecLimits.isSeriesName(name) {
            throw QueueError("--name: '\(name.prefix(100))' is not valid; use 1 to 100 of A-Z a-z 0-9 _ . - starting with a letter or digit")
        }
        var runs: [CompareRun] = [], seen = Set<String>()
        for target in targets {
            for run in try ComparisonLoader.runs(db, target) where seen.insert(run.label).inserted { runs.append(run) }
        }
        guard runs.count >= 2 else {
            throw QueueError("compare needs at least two runs; \(targets.count == 1 ? "this names" : "these name") \(runs.count) (name two or more series or jobs, or a sweep)")
        }
        guard runs.count <= ComparePage.maxRuns else {
            throw QueueError("compare overlays at most \(ComparePage.maxRuns) runs; these name \(runs.count) (a sweep counts as all its runs): name fewer, or a sweep's runs by their job ids")
        }
        try checkOwnership(db)
        let folder = name ?? ComparisonLoader.defaultName(targets)
        let relative = "\(ReportPublisher.comparisonsFolder)/\(folder)/index.html"
        let page = ComparePage(runs: runs, command: command, indexLink: "../../index.html")
        try root.write(try renderer.comparePage(page), to: relative)
        try publishIndex(db)
        return (relative, runs.count)
    }

    /// The comparison pages under the root, by name.
    func comparisons() -> [(name: String, link: String)] {
        let folder = (root.path as NSString).appendingPathComponent(ReportPublisher.comparisonsFolder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { SpecLimits.isSeriesName($0) && FileManager.default.fileExists(atPath: "\(folder)/\($0)/index.html") }.sorted()
            .map { ($0, "\(ReportPublisher.comparisonsFolder)/\($0)/index.html") }
    }
}

/// Reads compared runs from the database.
enum ComparisonLoader {
    /// A name for a comparison page made from its targets: readable, safe as a folder, and different for
    /// different target lists (a hash of them ends it).
    static func defaultName(_ targets: [CompareTarget]) -> String {
        let parts = targets.map { t -> String in
            switch t {
            case .series(let s): s
            case .job(let id): "job\(id)"
            }
        }
        let digest = SHA256.hash(data: Data(parts.joined(separator: "\u{0}").utf8)).prefix(4).map { String(format: "%02x", $0) }.joined()
        return String(parts.joined(separator: "-vs-").prefix(80)) + "-" + digest
    }

    static func runs(_ db: PGConnection, _ target: CompareTarget) throws -> [CompareRun] {
        switch target {
        case .series(let name):
            guard let (summary, steps) = try SeriesStore.results(db, name: name) else {
                throw QueueError("no series named '\(name)' (isomine series list shows the series)")
            }
            return [series(summary, steps, spec: try firstSpec(db, series: name))]
        case .job(let id):
            struct Row: Decodable { let id: Int, kind: JobKind, state: JobState, spec: JSONValue, result: JSONValue? }
            guard let row = try db.execute("SELECT id, kind, state, spec, result FROM isomine.jobs WHERE id = \(id)").decodeOne(Row.self) else {
                throw QueueError("no job \(id) (isomine jobs list shows the jobs)")
            }
            if row.kind == .sweep {
                let children = try db.execute("SELECT id, kind, state, spec, result FROM isomine.jobs WHERE parent_id = \(id) ORDER BY id").decode(Row.self)
                guard !children.isEmpty else { throw QueueError("sweep \(id) has no runs yet") }
                return children.map { job($0.id, $0.kind, $0.state, $0.spec, $0.result) }
            }
            return [job(row.id, row.kind, row.state, row.spec, row.result)]
        }
    }

    static func firstSpec(_ db: PGConnection, series: String) throws -> JSONValue? {
        struct Row: Decodable { let spec: JSONValue }
        return try db.execute("SELECT spec FROM isomine.jobs WHERE series = \(series) ORDER BY series_step LIMIT 1").decodeOne(Row.self)?.spec
    }

    static func series(_ summary: SeriesSummary, _ steps: [SeriesStore.StepResult], spec: JSONValue?) -> CompareRun {
        CompareRun.series(name: summary.name, baselineStep: summary.baselineStep, warningStep: summary.warningStep, collapseStep: summary.collapseStep,
                          steps: steps.map { ($0.step, $0.result) }, spec: spec, link: "../../" + ReportPublisher.seriesPath(summary.name))
    }

    static func job(_ id: Int, _ kind: JobKind, _ state: JobState, _ spec: JSONValue, _ result: JSONValue?) -> CompareRun {
        CompareRun.job(id: id, kind: kind, state: state, spec: spec, result: result, link: "../../" + ReportPublisher.relativePath(id))
    }
}
