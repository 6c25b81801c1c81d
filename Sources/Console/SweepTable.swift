// A sweep result as a plain-text table: one line per grid cell.
import Foundation
import Jobs

public enum SweepTable {
    /// Cell axes, runs, verdict counts, collapse rate, ever-collapsed rate, mean final P@1 and its standard
    /// error over the cell's runs (`P@1_se`, "-" with one run), the
    /// warning's columns and, when any run was acted on (`on_warning`), the runs acted on; aligned in columns.
    public static func render(_ r: SweepResult) -> String {
        let axes = r.axes.map(\.path).filter { $0 != r.replicateAxis }
        let acted = r.cells.contains { $0.actedOnWarning != nil }
        var rows: [[String]] = [axes + ["runs", "collapsed", "partial", "failed", "collapse_rate", "ever_collapsed", "P@1", "P@1_se", "warned_before", "false_alarms"]
                                + (acted ? ["acted_on_warning"] : [])]
        for cell in r.cells {
            let values: [String] = axes.map { cell.params[$0].map(SweepSpec.text) ?? "" }
            let rate: String = cell.collapseRate.map { String(format: "%.2f", $0) } ?? "-"
            let ever: String = cell.everCollapsedRate.map { String(format: "%.2f", $0) } ?? "-"
            let p1: String = cell.metrics["precision_at_1"].map { String(format: "%.3f", $0.mean) } ?? "-"
            let p1SE: String = cell.metrics["precision_at_1"]?.standardError.map { String(format: "%.3f", $0) } ?? "-"
            let warned: String = cell.warning.map { "\($0.warnedBeforeCollapse)/\($0.collapsedRuns)" } ?? "-"
            let alarms: String = cell.warning.map { "\($0.falseAlarms)/\($0.healthyRuns)" } ?? "-"
            let counts: [String] = [String(cell.runs), String(cell.collapsed), String(cell.partial), String(cell.failed + cell.cancelled)]
            rows.append(values + counts + [rate, ever, p1, p1SE, warned, alarms] + (acted ? [String(cell.actedOnWarning ?? 0)] : []))
        }
        return TextTable.render(rows) + String(format: "%d runs, %d collapsed, %d failed", r.summary.runs, r.summary.collapsed, r.summary.failed) + "\n"
            + (r.warning.map { warningLine($0) } ?? "")
            + (r.checkpointWarning.map { warningLine($0, rule: "series rule on the evaluations' probes", withRisk: false) } ?? "")
    }

    /// The collapse warning over the sweep in one line (`withRisk`: and the step-0 risk's AUC, said once).
    public static func warningLine(_ w: WarningSummary, rule: String = "warning", withRisk: Bool = true) -> String {
        let detection = w.detectionRate.map { String(format: " (detection rate %.2f)", $0) } ?? ""
        let fraction = w.medianLeadFraction.map { String(format: ", %.0f %% of the steps to collapse", 100 * $0) } ?? ""
        let lead = w.medianLeadSteps.map { String(format: ", median lead %.0f steps%@", $0, fraction) } ?? ""
        let near = w.nearMissAlarms.map { w.falseAlarms > 0 ? String(format: "; %d of them near misses, the probe within %.2g α", $0, WarningSummary.nearMiss) : "" } ?? ""
        let alarms = w.falseAlarmRate.map { String(format: " (false-alarm rate %.2f%@)", $0, near) } ?? ""
        let auc = withRisk ? w.riskAUCPhrase.map { "; \($0)" } ?? "" : ""
        let neither = (w.neitherPhrase.map { "; \($0)" } ?? "") + (w.actedOnPhrase.map { "; \($0)" } ?? "")
        return "\(rule): \(w.warnedBeforeCollapse) of \(w.collapsedRuns) collapsed runs warned before they collapsed\(detection)\(lead); \(w.falseAlarms) of \(w.healthyRuns) healthy runs warned\(alarms)\(neither)\(auc)\n"
    }
}
