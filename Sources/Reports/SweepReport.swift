// The page of a sweep: heatmaps of collapse rate and final P@1 over the grid, and every run.
import Foundation
import Jobs

/// Builds the template context of a sweep page.
struct SweepReport {
    let doc: JobDocument
    let indexLink: String?
    /// The link to a run's report (by run index and job id), or nil when it has none.
    let runLink: (SweepRun) -> String?

    /// A cell rate's 95 % Wilson interval as a heatmap note ("0.02–0.26"), from the rate and the runs it
    /// is over (the count is rate × runs, exact for the small integers a cell holds); nil under two runs
    /// or for a rate outside [0, 1] (a stored result edited by hand must not trap the page's writer).
    static func interval(_ rate: Double?, of runs: Int) -> String? {
        guard let rate, (0...1).contains(rate), runs >= 2, runs <= 1 << 40, let ci = Proportion.wilson95(Int((rate * Double(runs)).rounded()), of: runs) else { return nil }
        return String(format: "%.2f–%.2f", ci.lowerBound, ci.upperBound)
    }

    func context() throws -> [String: Any] {
        var heatmaps: [[String: Any]] = []
        var runs: [[String: Any]] = []
        var axes: [String] = []
        var summary = "not aggregated yet"
        var replicate = "its single run"
        if let data = try doc.result.map({ try $0.serialized(pretty: false) }), let r = try? JSONDecoder().decode(SweepResult.self, from: data) {
            axes = r.axes.map(\.path)
            replicate = r.replicateAxis.map { "the values of \($0)" } ?? "its single run"
            summary = "\(r.summary.runs) runs, \(r.summary.collapsed) collapsed, \(r.summary.failed) failed"
            if let w = r.warning {
                summary += " · warning: \(w.warnedBeforeCollapse) of \(w.collapsedRuns) collapsed runs warned before their collapse"
                    + (w.medianLeadSteps.map { String(format: " (median lead %.0f steps, %.0f %% of the steps to collapse)", $0, 100 * (w.medianLeadFraction ?? 0)) } ?? "")
                    + ", \(w.falseAlarms) of \(w.healthyRuns) healthy runs warned"
                    + (w.neitherPhrase.map { ", \($0)" } ?? "")
                    + (w.actedOnPhrase.map { ", \($0)" } ?? "")
                    + (w.riskAUCPhrase.map { " · \($0)" } ?? "")
            }
            if let c = r.checkpointWarning {
                summary += " · series rule on the evaluations' probes: \(c.warnedBeforeCollapse) of \(c.collapsedRuns) warned before, \(c.falseAlarms) of \(c.healthyRuns) healthy warned"
            }
            heatmaps = SweepReport.heatmaps(r, runLink: runLink)
            runs = r.runs.map { run in
                var row: [String: Any] = [
                    "params": r.axes.map { run.params[$0.path].map(SweepSpec.text) ?? "" },
                    "state": run.state.rawValue, "verdict": run.verdict?.rawValue ?? "",
                    "linkText": run.id.map { "job \($0)" } ?? "run \(run.index)",
                ]
                row["p1"] = run.final["precision_at_1"].map { String(format: "%.3f", $0) } ?? ""
                row["map"] = run.final["map_at_r"].map { String(format: "%.3f", $0) } ?? ""
                row["collapseStep"] = run.firstCollapseStep.map(String.init) ?? ""
                row["warningStep"] = run.firstWarningStep.map(String.init) ?? ""
                if let link = runLink(run) { row["link"] = link }
                return row
            }
        }
        let optional: [String: Any?] = ["id": doc.id, "indexLink": indexLink, "error": doc.lastError]
        return optional.compactMapValues { $0 }.merging([
            "title": doc.title, "state": doc.state.rawValue, "summary": summary, "replicate": replicate,
            "heatmaps": heatmaps, "hasHeatmaps": !heatmaps.isEmpty, "axes": axes, "runs": runs,
            "spec": String(decoding: try doc.spec.serialized(), as: UTF8.self),
        ]) { $1 }
    }

    /// Rows: the first cell axis; columns: the second (or one column); one pair of maps per value
    /// combination of any further cell axes.
    static func heatmaps(_ r: SweepResult, runLink: (SweepRun) -> String?) -> [[String: Any]] {
        let cellAxes = r.axes.filter { $0.path != r.replicateAxis }
        let rowAxis = cellAxes.first, colAxis = cellAxes.count > 1 ? cellAxes[1] : nil
        let rest = Array(cellAxes.dropFirst(2))
        let rowValues = rowAxis?.values ?? [.null], colValues = colAxis?.values ?? [.null]
        // Combinations of the remaining axes, each its own pair of maps.
        var groups: [[String: JSONValue]] = [[:]]
        for axis in rest { groups = groups.flatMap { g in axis.values.map { v in g.merging([axis.path: v]) { $1 } } } }
        var out: [[String: Any]] = []
        for (g, group) in groups.enumerated() {
            func cell(_ rv: JSONValue, _ cv: JSONValue) -> SweepCell? {
                r.cells.first { c in
                    (rowAxis.map { c.params[$0.path] == rv } ?? true) && (colAxis.map { c.params[$0.path] == cv } ?? true)
                        && group.allSatisfy { c.params[$0.key] == $0.value }
                }
            }
            let cells = rowValues.map { rv in colValues.map { cv in cell(rv, cv) } }
            let links = cells.map { row in row.map { c -> String? in
                guard let c, let first = r.runs.first(where: { $0.cell == c.cell }) else { return nil }
                return runLink(first)
            } }
            let suffix = group.isEmpty ? "" : " (" + group.sorted { $0.key < $1.key }.map { "\($0.key)=\(SweepSpec.text($0.value))" }.joined(separator: ", ") + ")"
            let rowNames = rowValues.map { rowAxis == nil ? "all" : SweepSpec.text($0) }
            let colNames = colValues.map { colAxis == nil ? "all" : SweepSpec.text($0) }
            out.append(["svg": Heatmap(id: "collapse-\(g)", title: "Collapse rate" + suffix, rowLabel: rowAxis?.path ?? "", columnLabel: colAxis?.path ?? "",
                                       rows: rowNames, columns: colNames, values: cells.map { $0.map { $0?.collapseRate } }, range: 0...1, links: links,
                                       notes: cells.map { $0.map { $0.flatMap { SweepReport.interval($0.collapseRate, of: $0.succeeded) } } }).svg,
                        "caption": "Where does hard mining collapse? Fraction of each cell's runs whose final verdict is collapsed, with its 95 % (Wilson) interval under it when the cell has two or more runs: what the rate could be with other seeds."])
            out.append(["svg": Heatmap(id: "ever-\(g)", title: "Ever collapsed" + suffix, rowLabel: rowAxis?.path ?? "", columnLabel: colAxis?.path ?? "",
                                       rows: rowNames, columns: colNames, values: cells.map { $0.map { $0?.everCollapsedRate } }, range: 0...1, links: links,
                                       notes: cells.map { $0.map { $0.flatMap { SweepReport.interval($0.everCollapsedRate, of: $0.succeeded) } } }).svg,
                        "caption": "Collapse that training recovered from counts here too: fraction of each cell's runs collapsed at any evaluation or signal record, with its 95 % (Wilson) interval."])
            out.append(["svg": Heatmap(id: "p1-\(g)", title: "Final P@1 (mean)" + suffix, rowLabel: rowAxis?.path ?? "", columnLabel: colAxis?.path ?? "",
                                       rows: rowNames, columns: colNames, values: cells.map { $0.map { $0?.metrics["precision_at_1"]?.mean } }, range: 0...1,
                                       links: links, format: "%.3f",
                                       notes: cells.map { $0.map { $0?.metrics["precision_at_1"]?.standardError.map { String(format: "± %.3f", $0) } } }).svg,
                        "caption": "What it costs: the cell's mean final P@1 on the held-out split, with its standard error over the cell's runs (± under the mean, when the cell has two or more): cells whose means differ by less than about twice it could swap with other seeds."])
            out.append(["svg": Heatmap(id: "warned-\(g)", title: "Warned before collapse" + suffix, rowLabel: rowAxis?.path ?? "", columnLabel: colAxis?.path ?? "",
                                       rows: rowNames, columns: colNames, values: cells.map { $0.map { $0?.warning?.detectionRate } }, range: 0...1, links: links).svg,
                        "caption": "Did the collapse warning come in time? Fraction of each cell's collapsed runs warned before they collapsed (blank: none collapsed)."])
        }
        return out
    }
}
