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
            data = try spec.dataset.load(dataRoot: dataRoot, field: "spec.dataset")
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
        let options = EstimatorOptions(probeSize: spec.probeSize, seed: spec.seed, fStar: FStarOptions(iterations: spec.iterations),
                                       referenceScale: spec.referenceScale, referenceKind: .stated)
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
            timing: AnalyzeTiming(totalSeconds: seconds), verdict: diagnosis.verdict)
        return (result, kept)
    }
}
