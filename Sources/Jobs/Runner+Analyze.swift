// Analyze jobs: labelled embeddings → the estimator block, triplet losses and retrieval metrics.
import Datasets
import Dispatch
import Estimators
import Isometry
import Linalg
import Trainer

extension Runner {
    /// Most points the reported triplet losses are computed on (batch-all mines O(N³) triplets).
    static let maxLossPoints = 300

    /// The analyze job's labelled points, loaded and checked (what `isomine validate` runs too).
    public func prepare(_ spec: AnalyzeSpec) throws -> LabeledData {
        let data: LabeledData
        do {
            data = try spec.dataset.load(dataRoot: dataRoot, inputs: inputs, field: "spec.dataset")
        } catch let e as DatasetError {
            throw SpecError(path: e.field ?? "spec.dataset", e.message)
        }
        if data.count > Runner.maxEvaluationRows {
            throw SpecError(path: "spec.dataset", "has \(data.count) rows; retrieval metrics are exact and support at most \(Runner.maxEvaluationRows)")
        }
        return data
    }

    /// The analysis and the points behind its estimators (saved as artifacts).
    func runAnalyze(_ spec: AnalyzeSpec) throws -> (AnalyzeResult, FStarPoints) {
        let started = DispatchTime.now().uptimeNanoseconds
        BLASThreads.set(spec.blasThreads)
        let data = try prepare(spec)
        let points = data.features.converted(to: Double.self)
        let (reference, seriesInfo) = try seriesReference(spec, points: points, labels: data.labels)
        let options = EstimatorOptions(probeSize: spec.probeSize, seed: spec.seed, fStar: FStarOptions(iterations: spec.iterations),
                                       referenceScale: reference?.scale, referenceKind: reference?.kind ?? .stated)
        let report: EstimatorReport
        let kept: FStarPoints
        do {
            (report, kept) = try EstimatorReport.withPoints(points: points, labels: data.labels, options: options)
        } catch let e as EstimatorError {
            throw SpecError(path: e.option.map { "spec.\($0)" } ?? "spec.dataset", e.message)
        }
        let lossRows = data.count <= Runner.maxLossPoints ? Array(0..<data.count)
            : stratifiedSample(labels: data.labels, size: Runner.maxLossPoints, seed: spec.seed)
        let lossPoints = points.rows(lossRows), lossLabels = lossRows.map { data.labels[$0] }
        let config = TripletLossConfig(kind: .hinge, margin: spec.margin, distance: .euclidean)
        let losses = LossSummary(
            margin: spec.margin, points: lossRows.count,
            batchHard: tripletLoss(lossPoints, labels: lossLabels, miner: .batchHard, config: config).loss,
            batchAll: tripletLoss(lossPoints, labels: lossLabels, miner: .batchAll, config: config).loss,
            semiHard: tripletLoss(lossPoints, labels: lossLabels, miner: .semiHard, config: config).loss)
        let eval = RetrievalMetrics(distances: points.pairwiseDistances(), labels: data.labels)
        let summary = DatasetSummary(name: data.name, rows: data.count, dim: data.dimension, classes: data.classCount,
                                     trainRows: 0, testRows: data.count, trainClasses: 0, testClasses: data.classCount)
        let diagnosis = Diagnosis(report.inputs(precisionAt1: eval.precisionAt1, chance: chancePrecisionAtOne(labels: data.labels),
                                                lossAtCollapsedValue: nil, activeFraction: nil, classes: data.classCount))
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) * 1e-9
        logger.info("analyzed", metadata: ["dataset": "\(data.name)", "verdict": "\(diagnosis.verdict.rawValue)"])
        let result = AnalyzeResult(
            spec: spec.json, dataset: summary,
            final: AnalysisRecord(eval: eval, losses: losses, estimators: report, diagnosis: diagnosis, verdict: diagnosis.verdict),
            timing: AnalyzeTiming(totalSeconds: seconds), verdict: diagnosis.verdict, series: seriesInfo)
        return (result, kept)
    }

    /// The spread reference of an analysis: `reference_scale` when given; for a series step, the mean
    /// pairwise distance of the same probe at the series' baseline step (the probe is drawn by the
    /// same seed and size from the baseline's points, so a series of one test set compares like with like).
    func seriesReference(_ spec: AnalyzeSpec, points: Matrix<Double>, labels: [Int])
        throws -> (reference: (scale: Double, kind: SpreadReference)?, info: SeriesStepInfo?) {
        if let scale = spec.referenceScale {
            return ((scale, .stated), spec.series.map { SeriesStepInfo(name: $0, step: spec.step ?? 0) })
        }
        guard let series = spec.series, let step = spec.step else { return (nil, nil) }
        guard let baselines else {
            throw SpecError(path: "spec.series", "a series step is judged against its series' baseline, which the worker reads from the database; enqueue it (isomine submit) or give reference_scale")
        }
        guard let baseline = try baselines.baseline(of: series, named: spec.baselineStep) else {
            throw SpecError(path: spec.baselineStep == nil ? "spec.series" : "spec.baseline_step",
                            "the baseline step \(spec.baselineStep.map(String.init) ?? "") of series '\(series)' was not submitted")
        }
        func probeSpread(_ x: Matrix<Double>, _ y: [Int]) -> Double {
            // The rows the estimators analyse (EstimatorReport: the whole set up to maxExactPoints, else the probe).
            let rows = x.rows <= EstimatorOptions().maxExactPoints ? Array(0..<x.rows)
                : stratifiedSample(labels: y, size: spec.probeSize, seed: spec.seed)
            let probe = x.rows(rows)
            return CollapseMetrics(probe, squaredDistances: exactPairwiseSquaredDistances(probe)).meanPairwiseDistance
        }
        let spread: Double
        if baseline.step == step {
            spread = probeSpread(points, labels)
        } else {
            let other: LabeledData
            do {
                other = try baseline.dataset.load(dataRoot: dataRoot, inputs: inputs, field: "baseline step \(baseline.step)'s dataset")
            } catch let e as DatasetError {
                throw SpecError(path: "spec.series", "the baseline step \(baseline.step) of series '\(series)' cannot be read: \(e.message)")
            }
            spread = probeSpread(other.features.converted(to: Double.self), other.labels)
        }
        let info = SeriesStepInfo(name: series, step: step, baselineStep: baseline.step, baselineSpread: spread)
        return (spread > 0 && spread.isFinite ? (spread, .seriesBaseline) : nil, info)
    }
}
