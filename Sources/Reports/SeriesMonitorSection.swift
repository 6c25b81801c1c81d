// The monitor part of a series' page (a user's own training loop): its per-step signals drawn by step
// with the warning marked, the step-0 collapse risk with its reasons, and the warning's reasons.
import Foundation
import Jobs

/// What a series' monitor sent and what the workers concluded, as the page sees it.
public struct SeriesMonitorPage: Sendable {
    /// Each signal row: its step and fields (as stored).
    public var rows: [(step: Int, signals: JSONValue)]
    /// The step-0 risk ({"risk", "threshold", "reasons", …} or {"error"}), nil until computed.
    public var risk: JSONValue?
    /// The series' own warning ({"step", "source", "reasons"}), nil when none.
    public var warning: JSONValue?
    /// The monitor's settings.
    public var settings: JSONValue?

    public init(rows: [(step: Int, signals: JSONValue)], risk: JSONValue?, warning: JSONValue?, settings: JSONValue?) {
        self.rows = rows
        self.risk = risk
        self.warning = warning
        self.settings = settings
    }

    /// The most points a line gets (about): longer runs are thinned (`drawn`).
    static let maxPoints = 2000

    /// The rows the chart draws: every row up to `maxPoints`; beyond, in buckets of consecutive rows,
    /// each bucket's row of lowest and of highest batch spread (in step order), with the first and last
    /// rows and the row at `keep` (the warning's step). Thinning by every k-th row would hide a collapse
    /// of fewer than k steps — what the page is for; the extremes keep it. Returns the bucket size too.
    static func drawn(_ rows: [(step: Int, signals: JSONValue)], keep: Int? = nil) -> (rows: [(step: Int, signals: JSONValue)], bucket: Int) {
        guard rows.count > maxPoints else { return (rows, 1) }
        let bucket = (rows.count + maxPoints / 2 - 1) / (maxPoints / 2)
        func spread(_ i: Int) -> Double { if case .number(let x)? = rows[i].signals["batch_spread"], x.isFinite { x } else { .nan } }
        var picked = Set([0, rows.count - 1])
        if let keep, let i = rows.firstIndex(where: { $0.step == keep }) { picked.insert(i) }
        for start in Swift.stride(from: 0, to: rows.count, by: bucket) {
            let range = start..<min(start + bucket, rows.count)
            let finite = range.filter { !spread($0).isNaN }
            guard let low = finite.min(by: { spread($0) < spread($1) }), let high = finite.max(by: { spread($0) < spread($1) }) else {
                picked.insert(start)
                continue
            }
            picked.formUnion([low, high])
        }
        return (picked.sorted().map { rows[$0] }, bucket)
    }

    func context() -> [String: Any] {
        func number(_ v: JSONValue?) -> Double? { if case .number(let x)? = v, x.isFinite { x } else { nil } }
        let (shown, stride) = Self.drawn(rows, keep: number(warning?["step"]).map { Int($0) })
        let reference = rows.first.flatMap { number($0.signals["batch_spread"]) } ?? 0
        func line(_ name: String, _ colour: Int, dashed: Bool = false, _ value: (JSONValue) -> Double?) -> Series {
            Series(name: name, points: shown.compactMap { r in value(r.signals).map { (Double(r.step), $0) } }, colour: Palette.colour(colour), dashed: dashed)
        }
        let warningStep = number(warning?["step"])
        let markers = warningStep.map { [ChartMarker(x: $0, label: "warning at step \(Int($0))", kind: .warning)] } ?? []
        let alpha = number(settings?["margin"]).flatMap { m in m > 0 ? m : nil }.map { m in
            [line(BatchDistanceLine.name, 6, dashed: true) { s in number(s["batch_spread"]).map { BatchDistanceLine.value(spread: $0, margin: m) } }]
        } ?? []
        var out: [String: Any] = [:]
        if !rows.isEmpty {
            out["chart"] = LineChart(id: "signals", title: "Per-step signals", xLabel: "step", yLabel: "ratio", series: [
                line("batch spread / first batch's", 0) { s in number(s["batch_spread"]).map { reference > 0 ? $0 / reference : 0 } },
                line("active triplet fraction", 2) { number($0["active_fraction"]) },
                line("(d⁻ − d⁺) / batch spread", 4, dashed: true) { s in
                    guard let g = number(s["gap"]), let b = number(s["batch_spread"]), b > 0 else { return nil }
                    return g / b
                },
            ] + alpha, markers: markers, levels: alpha.isEmpty ? [] : [BatchDistanceLine.level]).svg
            out["rowsText"] = "\(rows.count) signal rows, steps \(rows.first!.step)–\(rows.last!.step)" + (stride > 1 ? " (\(shown.count) drawn: the lowest and highest batch spread of every \(stride) rows)" : "")
        }
        if let risk {
            if case .string(let e)? = risk["error"] {
                out["riskText"] = "Step-0 collapse risk not computed: \(e)"
            } else if let r = number(risk["risk"]), let t = number(risk["threshold"]) {
                out["riskText"] = if let miner = StoredRisk.reportedOnlyMiner(risk) {
                    String(format: "Step-0 collapse risk %.2f (reported only: the model warns for hardest-negative miners; this run mines %@)", r, miner)
                } else {
                    String(format: "Step-0 collapse risk %.2f (warns at %.2f or above)", r, t)
                }
                out["riskReasons"] = Self.reasons(risk["reasons"])
            }
        }
        if let warning, let step = warningStep {
            let source: String = if case .string(let s)? = warning["source"] { s } else { "monitor" }
            out["warningText"] = "Collapse warning at step \(Int(step)) (from the \(source == "risk" ? "step-0 risk" : "per-step signals"))"
            // A risk warning's feature reasons are the risk's own, listed under it: not twice.
            let riskCodes = Set(Self.reasons(risk?["reasons"]).compactMap { $0["code"] })
            out["warningReasons"] = Self.reasons(warning["reasons"]).filter { !riskCodes.contains($0["code"] ?? "") }
        }
        if case .object(let s)? = settings {
            out["settingsText"] = s.keys.sorted().compactMap { k -> String? in
                switch s[k] {
                case .number(let v)?: return "\(k) \(v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(format: "%g", v))"
                case .string(let v)?: return "\(k) \(v)"
                default: return nil
                }
            }.joined(separator: ", ")
        }
        return out
    }

    static func reasons(_ v: JSONValue?) -> [[String: String]] {
        guard case .array(let items)? = v else { return [] }
        return items.compactMap { item in
            guard case .string(let code)? = item["code"], case .string(let message)? = item["message"] else { return nil }
            return ["code": code, "message": message]
        }
    }
}
