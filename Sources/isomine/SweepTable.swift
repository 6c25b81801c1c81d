// A sweep result as a plain-text table: one line per grid cell.
import Foundation
import Jobs

enum SweepTable {
    /// Cell axes, runs, verdict counts, collapse rate and mean final P@1, aligned in columns.
    static func render(_ r: SweepResult) -> String {
        let axes = r.axes.map(\.path).filter { $0 != r.replicateAxis }
        var rows: [[String]] = [axes + ["runs", "collapsed", "partial", "failed", "collapse_rate", "P@1"]]
        for cell in r.cells {
            rows.append(axes.map { cell.params[$0].map(SweepSpec.text) ?? "" } + [
                String(cell.runs), String(cell.collapsed), String(cell.partial), String(cell.failed + cell.cancelled),
                cell.collapseRate.map { String(format: "%.2f", $0) } ?? "-",
                cell.metrics["precision_at_1"].map { String(format: "%.3f", $0.mean) } ?? "-",
            ])
        }
        return TextTable.render(rows) + String(format: "%d runs, %d collapsed, %d failed", r.summary.runs, r.summary.collapsed, r.summary.failed) + "\n"
    }
}
