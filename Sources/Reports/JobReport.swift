// The page of one train or analyze job: headline tiles, charts by step, embedding plots, f* arrows,
// the discrepancy profile and the per-class thickness table.
import Retrieval
import CollapseSignals
import Datasets
import Estimators
import Isometry
import Foundation
import Jobs
import Linalg
import Trainer
import Triplets

/// Builds the template context of a job page.
struct JobReport {
    let doc: JobDocument
    /// Link back to the index page, if any.
    let indexLink: String?
    /// Link back to the page of the series this job is a step of, if any.
    var seriesLink: String? = nil

    func context() throws -> [String: Any] {
        var charts: [[String: Any]] = []
        var tiles: [[String: Any]] = []
        var thickness: [[String: Any]] = []
        var final: (eval: RetrievalMetrics, estimators: EstimatorReport?)?
        var diagnosis: Diagnosis?
        let data = try doc.result.map { try $0.serialized(pretty: false) }
        var hardest: EstimatorReport.Triplet?
        if doc.kind == .train, let historyJSON = doc.result?["history"],
           let history = try? JSONDecoder().decode([EvaluationRecord].self, from: try historyJSON.serialized(pretty: false)), let last = history.last {
            // Only the history is needed, so a running job's partial result (no timing yet) renders too.
            final = (last.eval, last.estimators)
            diagnosis = last.diagnosis
            charts += JobReport.historyCharts(history, loss: lossConfig, warning: warning, stepSignals: stepSignals, action: intervention)
            if case .number(let rate)? = doc.result?["timing"]?["steps_per_second"] {
                tiles.append(tile("steps per second", String(format: "%.0f", rate)))
            }
            if doc.state == .running { tiles.append(tile("latest evaluation", "step \(last.step)")) }
            if let intervention {
                let collapsed = intervention.abandonedCollapseStep.map { "; the abandoned steps had collapsed at step \($0)" } ?? ""
                tiles.append(tile("on warning", intervention.summary + collapsed))
            }
            hardest = last.estimators?.hardestTriplet
        } else if doc.kind == .analyze, let data, let r = try? JSONDecoder().decode(AnalyzeResult.self, from: data) {
            final = (r.final.eval, r.final.estimators)
            diagnosis = r.final.diagnosis
            hardest = r.final.estimators.hardestTriplet
        } else if doc.kind == .analyze, doc.state == .running, let p = doc.provisionalVerdict {
            // Running: the provisional verdict's figures until the estimators end.
            diagnosis = p.diagnosis
            tiles += [tile("P@1", String(format: "%.4f", p.precisionAt1)), tile("MAP@R", String(format: "%.4f", p.mapAtR)),
                      tile("L_hard (hardest triplet, α = 0)", String(format: "%.4g", p.lHard))]
        }
        if let final {
            tiles.insert(tile("P@1", String(format: "%.4f", final.eval.precisionAt1)), at: 0)
            tiles.insert(tile("MAP@R", String(format: "%.4f", final.eval.mapAtR)), at: 1)
            if let e = final.estimators {
                tiles += [
                    tile("L_hard (hardest triplet, α = 0)", String(format: "%.4g", e.lHard)),
                    tile("d_iso bracket", String(format: "[%.3g, %.3g]", e.dIso.lower, e.dIso.upper)),
                    tile("d_haus bracket", String(format: "[%.3g, %.3g]", e.dHaus.lower, e.dHaus.upper)),
                ]
                let dense = Array(Set((try? labels()) ?? [])).sorted()
                thickness = e.classThickness.map { c in
                    [
                        "name": c.label < dense.count ? "\(dense[c.label])" : "\(c.label)", "size": c.size,
                        "lower": String(format: "%.4g", c.thickness.lower), "upper": String(format: "%.4g", c.thickness.upper),
                        "exact": c.thickness.exact ? "yes" : "no", "diameter": String(format: "%.4g", c.thickness.diameter),
                    ]
                }
            }
        }
        tiles += batchTiles
        if let v = doc.verdict {
            tiles.insert(["label": "verdict", "value": doc.headline ?? v, "class": "verdict-\(v)"], at: 0)
        } else if doc.kind == .analyze, doc.state == .running, let p = doc.provisionalVerdict {
            tiles.insert(["label": "verdict (provisional)", "value": p.headline, "class": "verdict-\(p.verdict.rawValue)"], at: 0)
        }
        charts += try embeddingCharts(hardest: hardest)
        var dataset: String?
        if case .object? = doc.result?["dataset"], let d = try? JSONDecoder().decode(DatasetSummary.self, from: try doc.result!["dataset"]!.serialized(pretty: false)) {
            dataset = "\(d.name) (\(d.rows) rows × \(d.dim), \(d.classes) classes)"
                // An analysis judged as its loss measures: the rows L2-normalised first (the spec's `normalize`).
                + (doc.kind == .analyze && normalisedSpec["normalize"] == .bool(true) ? ", each embedding L2-normalised before it is judged" : "")
        }
        let failures = (diagnosis?.failures ?? []).map(\.rawValue).joined(separator: ", ")
        let optional: [String: Any?] = [
            "id": doc.id, "dataset": dataset, "created": doc.createdAt, "started": doc.startedAt, "finished": doc.finishedAt,
            "indexLink": indexLink, "error": doc.lastError, "provisional": provisionalNote,
            "failures": failures.isEmpty ? nil : failures, "thicknessNote": thicknessNote(thickness),
            // A series step names its run's step in the title; its own name (if it has one) and the series' link go below.
            "name": doc.seriesStep == nil ? nil : doc.specName,
            "series": doc.seriesStep?.series, "seriesLink": doc.seriesStep == nil ? nil : seriesLink,
        ]
        return optional.compactMapValues { $0 }.merging([
            "title": doc.title, "kind": doc.kind.rawValue, "state": doc.state.rawValue,
            "tiles": tiles, "hasTiles": !tiles.isEmpty, "charts": charts, "hasCharts": !charts.isEmpty,
            "thickness": thickness, "hasThickness": !thickness.isEmpty,
            // Why the verdict is what it is: each reason's code, the level it argues for and its sentence.
            "reasons": (diagnosis?.reasons ?? []).map { ["code": $0.code.rawValue, "level": $0.level.rawValue, "message": $0.message] },
            "hasReasons": !(diagnosis?.reasons ?? []).isEmpty,
            "reference": diagnosis.map { $0.reference.rawValue } ?? "",
            "spec": String(decoding: try normalisedSpec.serialized(), as: UTF8.self),
        ]) { $1 }
    }

    func tile(_ label: String, _ value: String) -> [String: Any] { ["label": label, "value": value, "class": ""] }

    /// Why a class's thickness can read 0: k points span an affine subspace of at most k − 1 dimensions,
    /// so a class with no more points than the embedding has dimensions lies in a hyperplane and some
    /// direction sees all of it at one coordinate (width exactly 0). Said when a row reads 0.
    func thicknessNote(_ rows: [[String: Any]]) -> String? {
        let zero = rows.filter { ($0["upper"] as? String).flatMap(Double.init) == 0 }
        guard !zero.isEmpty else { return nil }
        let dim: Int? = if case .number(let n)? = normalisedSpec["model"]?["embedding_dim"], doc.kind == .train { Int(n) }
            else if case .number(let n)? = doc.result?["dataset"]?["dim"] { Int(n) } else { nil }
        let what = zero.count == rows.count ? "Every class's thickness is 0" : "\(zero.count) of \(rows.count) classes have thickness 0"
        let sizes = zero.compactMap { $0["size"] as? Int }
        if let dim, let largest = sizes.max(), largest <= dim + 1 {
            return "\(what): a class of k points lies in an affine subspace of at most k − 1 dimensions, so with at most \(dim + 1) points "
                + "in \(dim) dimensions (here \(largest) at most) it lies in a hyperplane and its width across that hyperplane is exactly 0. "
                + "Thickness tells something only for classes with more points than the embedding has dimensions: a larger probe_size gives them."
        }
        return "\(what): those classes' points lie in a hyperplane of the embedding (a direction in which they all share one coordinate), "
            + "as happens when the embedding uses fewer dimensions than it has."
    }

    /// What the page says of the provisional verdict: that it is provisional while the estimators run;
    /// after them, whether the final verdict agrees with it or contradicts it (the final one stands, and
    /// events were only ever sent for it).
    var provisionalNote: [String: Any]? {
        guard doc.kind == .analyze, let p = doc.provisionalVerdict else { return nil }
        let after = String(format: "%.2f s", p.seconds)
        guard let final = doc.verdict else {
            guard doc.state == .running else { return nil }
            return ["text": "Provisional verdict \(p.headline), after \(after): from retrieval, the spread and the separation; the estimators (f*, the d_iso and d_haus brackets) are still running, and the final verdict replaces it.",
                    "class": "provisional"]
        }
        if !p.isContradicted(byFinal: final) {
            let same = (doc.headline ?? final) == p.headline ? "the same" : "at the same level"
            return ["text": "The provisional verdict (after \(after)) was \(same): \(p.headline).", "class": "provisional"]
        }
        return ["text": "The final verdict contradicts the provisional one: the provisional verdict (after \(after)) was \(p.headline), the final verdict is \(doc.headline ?? final). The final verdict stands; no event was sent for the provisional one.",
                "class": "contradicted"]
    }

    /// The spec with every default filled in: the result's echo when there is one (the row's spec is as submitted).
    var normalisedSpec: JSONValue { doc.result?["spec"] ?? doc.spec }

    /// The train spec's loss (for the collapsed-loss line), from the normalised spec.
    var lossConfig: TripletLossConfig? {
        guard case .object? = normalisedSpec["loss"], case .number(let margin)? = normalisedSpec["loss"]?["margin"] else { return nil }
        let kind = normalisedSpec["loss"]?["type"] == .string("soft") ? TripletLossKind.soft : .hinge
        return TripletLossConfig(kind: kind, margin: margin)
    }

    /// Batch size B = P × K and B / n for a train run (the paper's hypothesis: hard mining collapses when B ≫ n).
    var batchTiles: [[String: Any]] {
        guard case .number(let p)? = normalisedSpec["sampler"]?["classes_per_batch"], case .number(let k)? = normalisedSpec["sampler"]?["samples_per_class"],
              case .number(let n)? = normalisedSpec["model"]?["embedding_dim"], n > 0 else { return [] }
        return [tile("batch B = P × K", String(format: "%.0f = %.0f × %.0f", p * k, p, k)), tile("B / n (embedding dim \(Int(n)))", String(format: "%.3g", p * k / n))]
    }

    /// The train run's collapse warning, when it fired.
    var warning: CollapseWarning? { resultField("warning") }

    /// What the run's `on_warning` action did, when one was taken.
    var intervention: WarningIntervention? { resultField("on_warning") }

    /// A top-level field of the result decoded as `T` (nil when absent, null or not a `T`).
    private func resultField<T: Decodable>(_ key: String) -> T? {
        guard let v = doc.result?[key], v != .null, let data = try? v.serialized(pretty: false) else { return nil }
        return try? JSONDecoder().decode(T.self, from: data)
    }

    /// The train run's per-step signals (the artifact step_signals.json), empty when absent.
    var stepSignals: [StepSignals] {
        guard let bytes = doc.artifacts["step_signals.json"] else { return [] }
        return (try? JSONDecoder().decode([StepSignals].self, from: Data(bytes))) ?? []
    }

    /// Loss and active fraction, retrieval, collapse signals, the per-step warning signals, and the
    /// d_iso bracket against 2·L_hard, by step; the warning step, the step an `on_warning` action resumed
    /// from and the first collapsed evaluation are marked on each, the loss every triplet has at collapse drawn on the loss chart.
    static func historyCharts(_ history: [EvaluationRecord], loss: TripletLossConfig? = nil, warning: CollapseWarning? = nil,
                              stepSignals: [StepSignals] = [], action: WarningIntervention? = nil) -> [[String: Any]] {
        var markers = warning.map { [ChartMarker(x: Double($0.step), label: "warning at step \($0.step)", kind: .warning)] } ?? []
        // Where the run went back to when it acted on the warning: the history is the new trajectory from there.
        if let action, action.resumedFrom != action.warnedAt {
            markers.append(ChartMarker(x: Double(action.resumedFrom), label: "acted on the warning: resumed from step \(action.resumedFrom)", kind: .warning))
        }
        markers += history.first { $0.verdict == .collapsed }.map { [ChartMarker(x: Double($0.step), label: "collapsed at step \($0.step)")] } ?? []
        let levels = loss.map { [(y: $0.collapsedValue, label: ($0.kind == .hinge ? "α" : "softplus(α)") + String(format: " = %.3g: loss at collapse", $0.collapsedValue))] } ?? []
        func series(_ name: String, _ colour: Int, dashed: Bool = false, _ value: (EvaluationRecord) -> Double?) -> Series {
            Series(name: name, points: history.compactMap { r in value(r).map { (Double(r.step), $0) } }, colour: Palette.colour(colour), dashed: dashed)
        }
        var out: [[String: Any]] = [
            ["svg": LineChart(id: "loss", title: "Training loss and active triplets", xLabel: "step", yLabel: "value", series: [
                series("loss (mean since last evaluation)", 0) { $0.loss },
                series("active fraction", 6, dashed: true) { $0.activeFraction },
            ], markers: markers, levels: levels).svg, "caption": "Is training still learning? A loss stuck at the margin α with every triplet active is the collapsed state."],
            ["svg": LineChart(id: "retrieval", title: "Retrieval on the held-out split", xLabel: "step", yLabel: "score", series: [
                series("P@1", 0) { $0.eval.precisionAt1 },
                series("MAP@R", 2) { $0.eval.mapAtR },
                series("R-Precision", 4, dashed: true) { $0.eval.rPrecision },
            ], yRange: 0...1, markers: markers).svg, "caption": "Is the embedding useful? PML-exact P@1, R-Precision and MAP@R."],
        ]
        if stepSignals.count > 1 {
            func line(_ name: String, _ colour: Int, dashed: Bool = false, _ value: (StepSignals) -> Double) -> Series {
                Series(name: name, points: stepSignals.map { (Double($0.step), value($0)) }, colour: Palette.colour(colour), dashed: dashed)
            }
            let alpha = loss.map(\.marginDistance).flatMap { m in m > 0 ? m : nil }
            let alphaLines = alpha.map { m in [line(BatchDistanceLine.name, 4, dashed: true) { BatchDistanceLine.value(spread: $0.batchSpread, margin: m) }] } ?? []
            let alphaLevels = alpha == nil ? [] : [BatchDistanceLine.level]
            out.append(["svg": LineChart(id: "warning", title: "Per-step warning signals", xLabel: "step", yLabel: "ratio", series: [
                line("batch spread / step 0's", 0) { $0.batchSpreadRatio },
                line("(d⁻ − d⁺) / batch spread", 2) { $0.batchSpread > 0 ? $0.gap / $0.batchSpread : 0 },
                line("active fraction", 6, dashed: true) { $0.activeFraction },
            ] + alphaLines, markers: markers, levels: [(WarningRule.spreadBelow, String(format: "spread %.2g", WarningRule.spreadBelow)),
                                                       (WarningRule.gapBelow, String(format: "gap %.2g", WarningRule.gapBelow))] + alphaLevels).svg,
                        "caption": "Is a collapse coming? The warning fires when, at one record, the batch's spread is under its line, d⁻ − d⁺ under its line and at least 90 % of triplets are active; or when the batch's spread over α is under its line (0.25 α, the verdict's collapsed distances) with 90 % active, which detects distances collapsing with the ranking kept, or would be under it within 2 steps at its rate over the last 4 records."])
        }
        var signals = [series("relative spread (vs step 0)", 0) { $0.collapse.relativeSpread }]
        if history.contains(where: { $0.estimators != nil }) {
            signals += [
                series("probe mean distance / reference", 2) { $0.estimators?.collapse.meanRatio },
                series("near-duplicate pair fraction", 6, dashed: true) { $0.estimators?.collapse.nearDuplicateFraction },
                series("f*_haus contraction", 7) { $0.estimators?.fStar.contraction },
            ]
            let withE = history.filter { $0.estimators != nil }
            out.append(["svg": LineChart(id: "collapse", title: "Collapse signals", xLabel: "step", yLabel: "ratio", series: signals, markers: markers).svg,
                        "caption": "Is it collapsing? Spread falling towards 0, near-duplicates rising, or f* contracting are the signs."])
            out.append(["svg": LineChart(
                id: "diso", title: "d_iso bracket and Theorem 3's bound", xLabel: "step", yLabel: "distance",
                series: [
                    Series(name: "2·L_hard (Theorem 3 bound)", points: withE.map { (Double($0.step), 2 * max($0.estimators!.lHard, 0)) }, colour: Palette.colour(6), dashed: true),
                    Series(name: "L_hard", points: withE.map { (Double($0.step), $0.estimators!.lHard) }, colour: Palette.colour(7)),
                ],
                bands: [Band(name: "d_iso [lower, upper]", x: withE.map { Double($0.step) }, lower: withE.map { $0.estimators!.dIso.lower },
                             upper: withE.map { $0.estimators!.dIso.upper }, colour: Palette.colour(1))], markers: markers).svg,
                "caption": "How far is f from the triplet-separated set? The band is the certified d_iso bracket; the bound 2·L_hard must lie above it."])
        } else {
            out.append(["svg": LineChart(id: "collapse", title: "Collapse signal", xLabel: "step", yLabel: "ratio", series: signals, markers: markers).svg,
                        "caption": "Is it collapsing? Spread falling towards 0 is the sign (estimators were off for this run)."])
        }
        return out
    }

    func labels() throws -> [Int] {
        guard let bytes = doc.artifacts["probe_labels.npy"] else { return [] }
        return try NPYArtifact.integers(bytes, name: "probe_labels.npy")
    }

    func matrix(_ name: String) throws -> Matrix<Double>? {
        guard let bytes = doc.artifacts[name] else { return nil }
        return try NPYArtifact.matrix(bytes, name: name)
    }

    /// Scatter plots at the start and the end, the f* arrows, and the discrepancy profile.
    func embeddingCharts(hardest: EstimatorReport.Triplet?) throws -> [[String: Any]] {
        let labels = try labels()
        guard !labels.isEmpty, let final = try matrix("probe_final.npy"), final.rows == labels.count else { return [] }
        let classes = Array(Set(labels)).sorted().map { (label: $0, name: "\($0)") }
        var out: [[String: Any]] = []
        /// Half the extent of a projected cloud around its mean (its farthest point on either axis).
        func extent(_ xy: [(x: Double, y: Double)]) -> Double {
            guard !xy.isEmpty else { return 0 }
            let cx = xy.map(\.x).reduce(0, +) / Double(xy.count), cy = xy.map(\.y).reduce(0, +) / Double(xy.count)
            return xy.map { max(abs($0.x - cx), abs($0.y - cy)) }.max() ?? 0
        }
        func scatter(_ id: String, _ title: String, _ m: Matrix<Double>, arrows: Matrix<Double>? = nil, span: Double? = nil) -> String {
            let p = Projection(fitting: m)
            let xy = p.apply(m)
            var plot = ScatterPlot(id: id, title: title, xLabel: p.xLabel, yLabel: p.yLabel,
                                   points: zip(xy, labels).map { ($0.x, $0.y, $1) }, classes: classes,
                                   arrowTo: arrows.map { p.apply($0) } ?? [])
            plot.span = span
            return plot.svg
        }
        let finalExtent = extent(Projection(fitting: final).apply(final))
        if let start = try matrix("probe_start.npy"), start.rows == labels.count {
            // Start and end on one scale (the larger cloud's), so the end shows its spread relative to step 0.
            let startExtent = extent(Projection(fitting: start).apply(start))
            let span = max(startExtent, finalExtent) * 1.08
            let relative = startExtent > 0 ? finalExtent / startExtent : .nan
            out.append(["svg": scatter("start", "Embedding at step 0 (probe)", start, span: span > 0 ? span : nil),
                        "caption": "Where training started: the probe's embedding at initialisation, coloured by class, on the same scale as the end."])
            out.append(["svg": scatter("final", "Embedding at the end (probe), same scale as step 0", final, span: span > 0 ? span : nil),
                        "caption": "Where it ended, on step 0's scale" + (relative.isFinite ? String(format: " (the cloud spans %.3g× its step-0 extent)", relative) : "")
                            + ": separated clusters are healthy; one dot (or a line) is collapse."])
        } else {
            // Fitted to the plot, so the caption says how spread the cloud really is against its reference.
            var caption = "The analysed points, coloured by class, fitted to the plot"
            if case .number(let ratio)? = doc.result?["final"]?["estimators"]?["collapse"]?["mean_ratio"],
               case .string(let reference)? = doc.result?["final"]?["diagnosis"]?["reference"] {
                let against = ["series_baseline": "the series' baseline step's", "sphere": "the sphere's (√2 × the norm)", "stated": "the stated reference_scale"][reference] ?? reference
                caption += String(format: ": their mean pairwise distance is %.3g× %@", ratio, against) + (ratio < 0.05 ? ", a collapsed cloud drawn large" : "")
            }
            out.append(["svg": scatter("final", "Embedding (probe)", final), "caption": caption + "."])
        }
        guard let fStar = try matrix("f_star_iso.npy"), fStar.rows == final.rows, fStar.cols == final.cols else { return out }
        out.append(["svg": scatter("fstar", "f(x) → f*(x): the nearest triplet-separated embedding found", final, arrows: fStar),
                    "caption": "Which points must move to separate the classes, and where to (the paper's Figure 3); the longest arrows are highlighted."])
        // |d_f − d_f*| over all pairs, the hardest triplet's pairs marked (Figures 4 and 5).
        let n = final.rows
        let df = exactPairwiseSquaredDistances(final), ds = exactPairwiseSquaredDistances(fStar)
        var values: [Double] = []
        values.reserveCapacity(n * (n - 1) / 2)
        // Position of pair (i, j) in the row-by-row upper-triangle order `values` is filled in.
        func pairIndex(_ a: Int, _ b: Int) -> Int? {
            let i = min(a, b), j = max(a, b)
            guard i >= 0, i != j, j < n else { return nil }
            return i * n - i * (i + 1) / 2 + (j - i - 1)
        }
        for i in 0..<n { for j in (i + 1)..<n { values.append(abs(df[i, j].squareRoot() - ds[i, j].squareRoot())) } }
        var marks: [(index: Int, label: String)] = []
        if var t = hardest {
            if doc.kind == .analyze, let rows = try? doc.artifacts["probe_rows.npy"].map({ try NPYArtifact.integers($0, name: "probe_rows.npy") }) {
                // Analyze jobs report dataset rows; the artifacts hold the analysed rows in order.
                let position = Dictionary(rows.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
                t.anchor = position[t.anchor] ?? -1
                t.positive = position[t.positive] ?? -1
                t.negative = position[t.negative] ?? -1
            }
            if let k = pairIndex(t.anchor, t.positive) {
                marks.append((k, "hardest triplet: anchor–positive"))
            }
            if let k = pairIndex(t.anchor, t.negative) {
                marks.append((k, "hardest triplet: anchor–negative"))
            }
        }
        if !values.isEmpty {
            out.append(["svg": SortedPlot(id: "discrepancy", title: "|d_f − d_f*| over all pairs (f*_iso), sorted", xLabel: "pair rank",
                                          yLabel: "|d_f(x,y) − d_f*(x,y)|", values: values, marks: marks).svg,
                        "caption": "How the isometric error is spread over pairs (the paper's Figure 4); the hardest triplet's pairs are marked (Figure 5). The top value is f*_iso's isometric error, d_iso's upper bound."])
        }
        return out
    }
}
