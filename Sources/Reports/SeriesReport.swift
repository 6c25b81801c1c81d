// The page of a series: one training run's checkpoints analysed step by step, drawn as a train run's
// evaluations are (retrieval, collapse signals, the d_iso bracket), with the first collapsed step
// marked and every step linking to its own analysis.
import Foundation
import Jobs
import Vocabulary

/// One step of a series as the page sees it.
public struct SeriesPageStep: Sendable {
    public var step: Int
    public var jobID: Int
    public var state: JobState
    /// The step's analyze result (nil until it has run).
    public var result: JSONValue?
    /// The step's provisional verdict (`ProvisionalVerdict`), when recorded.
    public var provisional: JSONValue?
    public var lastError: String?
    /// Relative link to the step's own report.
    public var link: String?

    public init(step: Int, jobID: Int, state: JobState, result: JSONValue?, provisional: JSONValue? = nil, lastError: String?, link: String?) {
        self.step = step
        self.jobID = jobID
        self.provisional = provisional
        self.state = state
        self.result = result
        self.lastError = lastError
        self.link = link
    }
}

/// A series' page content.
public struct SeriesPage: Sendable {
    public var name: String
    /// The step the spread is compared with (nil: a monitored series with no checkpoint yet).
    public var baselineStep: Int?
    public var steps: [SeriesPageStep]
    public var indexLink: String?
    /// The series' monitor (a user's own training loop), when it has one.
    public var monitor: SeriesMonitorPage?
    /// The margin α the series' steps are judged at, when known.
    public var margin: Double?
    /// Whether the steps' embeddings are L2-normalised before they are judged (the series' `normalize`).
    public var normalized: Bool

    public init(name: String, baselineStep: Int?, steps: [SeriesPageStep], indexLink: String?, monitor: SeriesMonitorPage? = nil, margin: Double? = nil,
                normalized: Bool = false) {
        self.name = name
        self.margin = margin
        self.normalized = normalized
        self.baselineStep = baselineStep
        self.steps = steps.sorted { $0.step < $1.step }
        self.indexLink = indexLink
        self.monitor = monitor
    }

    func context() -> [String: Any] {
        let decoded: [(SeriesPageStep, AnalyzeResult?)] = steps.map { s in
            (s, s.result.flatMap { try? $0.serialized(pretty: false) }.flatMap { try? JSONDecoder().decode(AnalyzeResult.self, from: $0) })
        }
        let done = decoded.compactMap { s, r in r.map { (s.step, $0) } }
        let firstCollapse = done.first { $0.1.verdict == .collapsed }?.0
        // The warning that counts is the first one before any collapse (the one collapse.warning announces).
        let firstWarning = done.first { step, r in r.warning != nil && firstCollapse.map { step < $0 } != false }?.0
        let markers = (firstWarning.map { [ChartMarker(x: Double($0), label: "warning at step \($0)", kind: .warning)] } ?? [])
            + (firstCollapse.map { [ChartMarker(x: Double($0), label: "collapsed at step \($0)")] } ?? [])
        func series(_ name: String, _ colour: Int, dashed: Bool = false, _ value: (AnalyzeResult) -> Double?) -> Series {
            Series(name: name, points: done.compactMap { step, r in value(r).flatMap { $0.isFinite ? (Double(step), $0) : nil } },
                   colour: Palette.colour(colour), dashed: dashed)
        }
        var charts: [[String: Any]] = []
        if !done.isEmpty {
            charts.append(["svg": LineChart(id: "retrieval", title: "Retrieval by step", xLabel: "step", yLabel: "score", series: [
                series("P@1", 0) { $0.final.eval.precisionAt1 }, series("MAP@R", 2) { $0.final.eval.mapAtR },
                series("R-Precision", 4, dashed: true) { $0.final.eval.rPrecision },
            ], yRange: 0...1, markers: markers).svg, "caption": "Is the embedding still useful? PML-exact P@1, R-Precision and MAP@R of each checkpoint."])
            charts.append(["svg": LineChart(id: "collapse", title: "Collapse signals by step", xLabel: "step", yLabel: "ratio", series: [
                series("spread / baseline step's", 0) { $0.final.estimators.collapse.meanRatio },
                series("near-duplicate pair fraction", 6, dashed: true) { $0.final.estimators.collapse.nearDuplicateFraction },
                series("f*_haus contraction", 7) { $0.final.estimators.fStar.contraction },
            ], markers: markers).svg,
                "caption": "Context: the spread against the baseline step (step \(baselineStep.map(String.init) ?? "none")), near-duplicates and f*'s contraction. The verdict judges distances against the margin α (each step's reasons say how far)."])
            charts.append(["svg": LineChart(
                id: "diso", title: "d_iso bracket and Theorem 3's bound by step", xLabel: "step", yLabel: "distance",
                series: [
                    series("2·L_hard (Theorem 3 bound)", 6, dashed: true) { 2 * max($0.final.estimators.lHard, 0) },
                    series("L_hard", 7) { $0.final.estimators.lHard },
                ],
                bands: [Band(name: "d_iso [lower, upper]", x: done.map { Double($0.0) }, lower: done.map { $0.1.final.estimators.dIso.lower },
                             upper: done.map { $0.1.final.estimators.dIso.upper }, colour: Palette.colour(1))],
                markers: markers).svg,
                "caption": "How far is each checkpoint from the triplet-separated set? The band is the certified d_iso bracket."])
        }
        let rows: [[String: Any]] = decoded.map { s, r in
            var row: [String: Any] = ["step": s.step, "state": s.state.rawValue, "job": "job \(s.jobID)", "verdict": r?.final.diagnosis.headline ?? "",
                                      "level": r?.verdict.rawValue ?? "",
                                      "baseline": s.step == baselineStep ? " (baseline)" : ""]
            if let link = s.link { row["link"] = link }
            let provisional = JobDocument.provisionalVerdict(s.provisional)
            if let r, let p = provisional, p.isContradicted(byFinal: r.verdict.rawValue) {
                row["verdict"] = r.final.diagnosis.headline + " (contradicts the provisional \(p.headline))"
            }
            if r == nil, s.state == .running, let p = provisional {
                // Still running: the provisional verdict and its figures, marked as such.
                row["verdict"] = p.headline + " (provisional)"
                row["level"] = p.verdict.rawValue
                row["p1"] = String(format: "%.3f", p.precisionAt1)
                row["map"] = String(format: "%.3f", p.mapAtR)
                row["spread"] = p.relativeSpread.map { String(format: "%.3g", $0) } ?? ""
                row["lhard"] = String(format: "%.3g", p.lHard)
                row["reasons"] = p.diagnosis.reasons.filter { $0.level != .healthy }.map { ["code": $0.code.rawValue, "message": $0.message] }
            }
            if let r {
                row["p1"] = String(format: "%.3f", r.final.eval.precisionAt1)
                row["map"] = String(format: "%.3f", r.final.eval.mapAtR)
                row["spread"] = r.final.estimators.collapse.meanRatio.map { String(format: "%.3g", $0) } ?? ""
                row["lhard"] = String(format: "%.3g", r.final.estimators.lHard)
                row["diso"] = String(format: "[%.3g, %.3g]", r.final.estimators.dIso.lower, r.final.estimators.dIso.upper)
                row["reasons"] = r.final.diagnosis.reasons.filter { $0.level != .healthy }.map { ["code": $0.code.rawValue, "message": $0.message] }
                    + (r.warning?.reasons.map { ["code": "warning: " + $0.code, "message": $0.message] } ?? [])
                    // Context that lowers nothing but says the series may be read on the wrong scale.
                    + r.final.diagnosis.reasons.filter { $0.code == .collapsedOnTheSphere }.map { ["code": "context: " + $0.code.rawValue, "message": $0.message] }
            } else if let e = s.lastError {
                row["reasons"] = [["code": "error", "message": e]]
            }
            return row
        }
        let last = done.last
        let monitorWarning: Int? = if case .number(let w)? = monitor?.warning?["step"] { Int(w) } else { nil }
        let summary = "\(steps.count) steps, " + (baselineStep.map { "baseline step \($0)" } ?? "no checkpoint yet")
            + (margin.map { ", judged at margin α = \($0)" + (normalized ? " on L2-normalised embeddings" : "") } ?? "") + ((monitorWarning ?? firstWarning).map { ", collapse warning at step \($0)" } ?? "")
            + (firstCollapse.map { ", first collapsed at step \($0)" } ?? (done.isEmpty ? "" : ", none collapsed"))
            + (last.map { ", latest step \($0.0): \($0.1.final.diagnosis.headline)" } ?? "")
        let optional: [String: Any?] = ["indexLink": indexLink, "monitor": monitor?.context()]
        return optional.compactMapValues { $0 }.merging([
            "title": name, "summary": summary, "charts": charts, "hasCharts": !charts.isEmpty, "steps": rows, "hasSteps": !rows.isEmpty,
        ]) { $1 }
    }
}
