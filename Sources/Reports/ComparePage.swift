// The comparison page: two to twelve runs — series, train runs, sweep runs — overlaid on shared axes
// (P@1 by step, the spread against each run's margin α, the verdict as a band per run), with each run's
// warning and first collapse marked and the settings in which the runs differ listed.
import Foundation
import Jobs
import Vocabulary

/// One evaluation of a compared run: a series step's analysis, or a train run's evaluation.
public struct ComparePoint: Sendable {
    public var step: Int
    public var precisionAt1: Double?
    public var mapAtR: Double?
    /// Mean pairwise distance over the run's margin α (the verdict's scale).
    public var spreadOverMargin: Double?
    /// `healthy`, `partial` or `collapsed`; nil when not judged.
    public var verdict: String?

    public init(step: Int, precisionAt1: Double?, mapAtR: Double?, spreadOverMargin: Double?, verdict: String?) {
        self.step = step
        self.precisionAt1 = precisionAt1
        self.mapAtR = mapAtR
        self.spreadOverMargin = spreadOverMargin
        self.verdict = verdict
    }
}

/// One run on the comparison page.
public struct CompareRun: Sendable {
    /// How the run is named on the page (`series run-7`, `job 12 · name`).
    public var label: String
    /// `series`, `train` or `analyze`.
    public var kind: String
    /// The job's state, or a series' step count.
    public var state: String
    /// The latest verdict's headline.
    public var verdict: String?
    /// Relative link to the run's own page.
    public var link: String?
    public var points: [ComparePoint]
    public var warningStep: Int?
    public var collapseStep: Int?
    /// The run's settings, flattened to dotted paths (`loss.margin`, `sampler.samples_per_class`).
    public var settings: [String: String]

    public init(label: String, kind: String, state: String, verdict: String?, link: String?, points: [ComparePoint],
                warningStep: Int?, collapseStep: Int?, settings: [String: String]) {
        self.label = label
        self.kind = kind
        self.state = state
        self.verdict = verdict
        self.link = link
        self.points = points.sorted { $0.step < $1.step }
        self.warningStep = warningStep
        self.collapseStep = collapseStep
        self.settings = settings
    }

    static func number(_ v: JSONValue?) -> Double? { if case .number(let x)? = v { x } else { nil } }
    static func string(_ v: JSONValue?) -> String? { if case .string(let s)? = v { s } else { nil } }

    /// An analysis' point (or a train run's evaluation): retrieval, spread over α and verdict.
    static func point(step: Int, final: JSONValue?, verdict: JSONValue?) -> ComparePoint {
        ComparePoint(step: step, precisionAt1: number(final?["eval"]?["precision_at_1"]), mapAtR: number(final?["eval"]?["map_at_r"]),
                     spreadOverMargin: number(final?["diagnosis"]?["evidence"]?["spread_over_margin"]), verdict: string(verdict))
    }

    /// A series from its steps' analyze results (nil until a step has run); its collapse step is the one
    /// collapse.detected named, else its first collapsed step from the baseline on.
    public static func series(name: String, baselineStep: Int?, warningStep: Int?, collapseStep: Int?, steps: [(step: Int, result: JSONValue?)],
                              spec: JSONValue?, link: String?) -> CompareRun {
        let done = steps.filter { $0.result != nil && $0.result != .null }
        let points = done.map { point(step: $0.step, final: $0.result?["final"], verdict: $0.result?["verdict"]) }
        // Not before a named later baseline; the baseline itself reads collapsed only when it was judged trained.
        let collapse = collapseStep ?? points.first { $0.verdict == "collapsed" && $0.step >= (baselineStep ?? $0.step) }?.step
        return CompareRun(label: "series \(name)", kind: "series", state: "\(steps.count) steps",
                          verdict: string(done.last?.result?["final"]?["diagnosis"]?["headline"]) ?? string(done.last?.result?["verdict"]),
                          link: link, points: points, warningStep: warningStep, collapseStep: collapse, settings: spec.map { flatten($0) } ?? [:])
    }

    /// A train run (its evaluations) or an analysis (one point, at its series step or 0) from its job.
    public static func job(id: Int?, kind: JobKind, state: JobState, spec: JSONValue, result: JSONValue?, link: String?) -> CompareRun {
        var points: [ComparePoint] = []
        if kind == .train, case .array(let history)? = result?["history"] {
            points = history.compactMap { r in number(r["step"]).map { point(step: Int($0), final: r, verdict: r["verdict"]) } }
        } else if kind == .analyze, result?["final"] != nil {
            points = [point(step: Int(number(spec["step"]) ?? 0), final: result?["final"], verdict: result?["verdict"])]
        }
        let name = string(spec["name"])
        let label = id.map { "job \($0)" + (name.map { " · " + $0 } ?? "") } ?? name ?? kind.rawValue
        return CompareRun(label: label, kind: kind.rawValue, state: state.rawValue,
                          verdict: string(result?["final"]?["diagnosis"]?["headline"]) ?? string(result?["verdict"]),
                          link: link, points: points, warningStep: number(result?["warning"]?["step"]).map { Int($0) },
                          collapseStep: points.first { $0.verdict == "collapsed" }?.step, settings: flatten(result?["spec"] ?? spec))
    }

    /// A spec (or any JSON object) flattened to dotted paths with compact values; arrays stay whole.
    public static func flatten(_ value: JSONValue, prefix: String = "") -> [String: String] {
        guard case .object(let o) = value else {
            let text = (try? value.compactText()) ?? ""
            return [prefix: text.count > 80 ? String(text.prefix(79)) + "…" : text]
        }
        var out: [String: String] = [:]
        for (k, v) in o { out.merge(flatten(v, prefix: prefix.isEmpty ? k : prefix + "." + k)) { a, _ in a } }
        return out
    }
}

/// The comparison page's content.
public struct ComparePage: Sendable {
    /// The most runs one page overlays (beyond it lines and colours stop being told apart).
    public static let maxRuns = 12

    public var runs: [CompareRun]
    /// The command that made the page (shown, so it can be run again to update it).
    public var command: String
    public var indexLink: String?

    public init(runs: [CompareRun], command: String, indexLink: String?) {
        self.runs = runs
        self.command = command
        self.indexLink = indexLink
    }

    /// Settings whose values differ between the runs (keys absent from some runs count as differing),
    /// without the ones that name a run rather than configure it.
    var differing: [String] {
        let named: Set<String> = ["name", "series", "step", "kind"]
        let keys = Set(runs.flatMap(\.settings.keys)).subtracting(named)
        return keys.filter { k in Set(runs.map { $0.settings[k] ?? "—" }).count > 1 }.sorted()
    }

    func context() -> [String: Any] {
        let colours = runs.indices.map { Palette.colour($0) }
        var markers: [ChartMarker] = []
        for (i, run) in runs.enumerated() {
            if let w = run.warningStep { markers.append(ChartMarker(x: Double(w), label: "\(i + 1) · \(run.label): warning at step \(w)", kind: .warning)) }
            if let c = run.collapseStep { markers.append(ChartMarker(x: Double(c), label: "\(i + 1) · \(run.label): collapsed at step \(c)")) }
        }
        func lines(_ value: (ComparePoint) -> Double?) -> [Series] {
            runs.enumerated().map { i, run in
                Series(name: "\(i + 1) · \(run.label)", points: run.points.compactMap { p in value(p).flatMap { $0.isFinite ? (Double(p.step), $0) : nil } },
                       colour: colours[i], dashed: i >= Palette.qualitative.count)
            }
        }
        var charts: [[String: Any]] = []
        if runs.contains(where: { !$0.points.isEmpty }) {
            charts.append(["svg": LineChart(id: "p1", title: "P@1 by step", xLabel: "step", yLabel: "P@1", series: lines { $0.precisionAt1 },
                                            yRange: 0...1, markers: markers).svg,
                           "caption": "Retrieval of each run on shared axes (PML-exact P@1); dashed vertical lines mark each run's warning (amber) and first collapse (red)."])
            charts.append(["svg": LineChart(id: "spread", title: "Spread against the margin α by step", xLabel: "step", yLabel: "mean distance / α",
                                            series: lines { $0.spreadOverMargin }, markers: markers,
                                            levels: [(y: 0.25, label: "0.25 α: the verdict's collapsed distances"),
                                                     (y: 0.5, label: "0.5 α: inside the margin")]).svg,
                           "caption": "Each run's mean pairwise distance over its own margin α: the scale the verdict judges on, so runs with different margins compare."])
            charts.append(["svg": VerdictStrip(runs: runs.map { ($0.label, $0.points.compactMap { p in p.verdict.map { (p.step, $0) } }) }).svg,
                           "caption": "The verdict of every evaluation, one band per run (a band runs from an evaluation to the next)."])
        }
        let keys = differing
        let rows: [[String: Any]] = runs.enumerated().map { i, run in
            var row: [String: Any] = [
                "number": i + 1, "label": run.label, "kind": run.kind, "state": run.state, "verdict": run.verdict ?? "", "colour": colours[i],
                "level": run.points.last?.verdict ?? "",
                "p1": run.points.last?.precisionAt1.map { String(format: "%.3f", $0) } ?? "",
                "map": run.points.last?.mapAtR.map { String(format: "%.3f", $0) } ?? "",
                "warning": run.warningStep.map(String.init) ?? "", "collapse": run.collapseStep.map(String.init) ?? "",
                "evaluations": run.points.count,
                "settings": keys.map { ["key": $0, "value": run.settings[$0] ?? "—"] },
            ]
            if let link = run.link { row["link"] = link }
            return row
        }
        let optional: [String: Any?] = ["indexLink": indexLink]
        return optional.compactMapValues { $0 }.merging([
            "title": "Comparison of \(runs.count) runs",
            "count": runs.count, "command": command, "charts": charts, "hasCharts": !charts.isEmpty, "runs": rows,
            "keys": keys, "hasKeys": !keys.isEmpty,
        ]) { $1 }
    }
}

/// The verdict band of each run: a row per run, coloured by the verdict from each evaluation to the next.
struct VerdictStrip {
    var runs: [(label: String, verdicts: [(step: Int, verdict: String)])]

    static func colour(_ verdict: String) -> String {
        switch verdict {
        case "healthy": "#117733"
        case "partial": "#DDAA33"
        case "collapsed": "#CC3311"
        default: "#BBBBBB"
        }
    }

    var svg: String {
        let steps = runs.flatMap { $0.verdicts.map(\.step) }
        let lo = Double(steps.min() ?? 0), hi = Double(max(steps.max() ?? 1, (steps.min() ?? 0) + 1))
        let rowHeight = 22.0, top = Frame.top, left = Frame.left
        // Room under the strip for the step ticks and, clear of them, the axis label.
        let height = top + rowHeight * Double(runs.count) + 38
        // The strip shares the line charts' x mapping (same margins and width), so steps line up.
        let frame = Frame(x: lo...hi, y: 0...1)
        let legend = Frame.legend(["healthy", "partial", "collapsed"].map { LegendEntry($0, VerdictStrip.colour($0), .band) })
        var s = """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(fmt(Frame.width)) \(fmt(height + legend.height))" role="img" aria-labelledby="verdicts-title" class="chart" font-family="system-ui, sans-serif" font-size="13">
            <title id="verdicts-title">Verdict by step</title>
            <rect x="0" y="0" width="\(fmt(Frame.width))" height="\(fmt(height + legend.height))" fill="#ffffff"/>
            <text x="\(fmt(left))" y="20" font-size="14" font-weight="600" fill="#222">Verdict by step</text>

            """
        for (r, run) in runs.enumerated() {
            let y = top + rowHeight * Double(r)
            for (k, v) in run.verdicts.enumerated() {
                let x0 = frame.px(Double(v.step))
                let x1 = k + 1 < run.verdicts.count ? frame.px(Double(run.verdicts[k + 1].step)) : min(x0 + 8, Frame.width - Frame.right)
                s += "<rect x=\"\(fmt(x0))\" y=\"\(fmt(y + 3))\" width=\"\(fmt(max(x1 - x0, 3)))\" height=\"\(fmt(rowHeight - 6))\" fill=\"\(VerdictStrip.colour(v.verdict))\"><title>\(escapeXML(run.label)): step \(v.step) \(escapeXML(v.verdict))</title></rect>\n"
            }
            // The run's number at the left margin (its name is in the legend of the charts above and in the table).
            s += "<text x=\"\(fmt(left - 6))\" y=\"\(fmt(y + rowHeight / 2 + 4))\" text-anchor=\"end\" fill=\"\(Palette.colour(r))\">\(r + 1)</text>\n"
        }
        for t in niceTicks(lo, hi, count: 6) where t == t.rounded() && t >= lo && t <= hi {
            s += "<text x=\"\(fmt(frame.px(t)))\" y=\"\(fmt(top + rowHeight * Double(runs.count) + 16))\" text-anchor=\"middle\" fill=\"#444\">\(tickLabel(t))</text>\n"
        }
        s += "<text x=\"\(fmt(left + frame.plotWidth / 2))\" y=\"\(fmt(height - 4))\" text-anchor=\"middle\" fill=\"#222\">step</text>\n"
        // The legend sits below the strip (Frame.legend places it under a frame of standard height).
        s += "<g transform=\"translate(0 \(fmt(height - Frame.height)))\">" + legend.svg + "</g>\n"
        return s + "</svg>\n"
    }
}
