// Analyze jobs: labelled embeddings → the estimator block, triplet losses and retrieval metrics.
import Retrieval
import CollapseSignals
import Datasets
import Dispatch
import Estimators
import Isometry
import Linalg
import Trainer
import Triplets

extension Runner {
    /// Most points the reported triplet losses are computed on: one batch of N points needs N × N distance
    /// and weight buffers (batch-all is counted, O(N² log K), not listed). Kept at 300 so the losses of
    /// earlier analyses stay comparable (a batch-hard loss depends on how many points it searches).
    static let maxLossPoints = 300

    /// The analyze job's labelled points, loaded and checked (what `isomine validate` runs too).
    public func prepare(_ spec: AnalyzeSpec) throws -> LabeledData {
        do {
            return try judged(spec.dataset.load(dataRoot: dataRoot, inputs: inputs, field: "spec.dataset", loneClasses: true), spec)
        } catch let e as DatasetError {
            throw SpecError(path: e.field ?? "spec.dataset", e.message)
        }
    }

    /// The embeddings as the spec judges them: L2-normalised first when it says `normalize` (the loss's
    /// distance normalises them), else as given.
    func judged(_ data: LabeledData, _ spec: AnalyzeSpec) -> LabeledData {
        guard spec.normalize else { return data }
        var out = data
        out.normalizeRows()
        return out
    }

    /// The rows the estimators analyse: the whole set up to `EstimatorOptions.maxExactPoints` points
    /// (its lone points left out), else a class-keeping probe of `probe_size` (every class in it has at
    /// least two points).
    func probeRows(_ spec: AnalyzeSpec, labels: [Int]) throws -> [Int] {
        let n = labels.count
        if n <= EstimatorOptions().maxExactPoints {
            // Every point of a class with a pair: a lone point anchors no triplet, and the estimators'
            // sets (as the class-keeping probe's) have two points or more in each class.
            var counts = [Int: Int]()
            for l in labels { counts[l, default: 0] += 1 }
            return (0..<n).filter { counts[labels[$0]]! >= 2 }
        }
        if spec.probeSize > n { throw SpecError(path: "spec.probe_size", "\(spec.probeSize) is larger than the set (\(n) points)") }
        return try specErrors { try classKeepingProbe(labels: labels, size: spec.probeSize, perClassCap: spec.probePerClass, seed: spec.seed) }
    }

    /// Runs estimator code, an `EstimatorError` becoming a `SpecError` at the field it is about.
    func specErrors<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as EstimatorError {
            throw SpecError(path: e.option.map { "spec.\($0)" } ?? "spec.dataset", e.message)
        }
    }

    /// The analysis and the points behind its estimators (saved as artifacts). The embeddings stay
    /// Float32; only the probe and the loss rows become Double. Phases are reported through `progress`
    /// (`load`, `retrieval metrics` with its fraction, `losses`, `estimators`).
    /// `provisional` hears the verdict read before the f* search (see `ProvisionalVerdict`), once.
    func runAnalyze(_ spec: AnalyzeSpec, progress: @escaping (RunProgress) -> Void = { _ in },
                    provisional: (ProvisionalVerdict) throws -> Void = { _ in }) throws -> (AnalyzeResult, FStarPoints) {
        let started = DispatchTime.now().uptimeNanoseconds
        let phases = PartTimes(), estimatorParts = PartTimes()
        var current: (name: String, since: UInt64)?
        // `reported: false` times a part without showing it as the job's phase (the row keeps its last phase).
        func phase(_ name: String, _ fraction: Double, reported: Bool = true) {
            let now = DispatchTime.now().uptimeNanoseconds
            if let c = current, c.name != name { phases.add(c.name, seconds: Double(now - c.since) * 1e-9) }
            if current?.name != name { current = (name, now) }
            if reported { progress(RunProgress(step: 0, totalSteps: 0, loss: 0, precisionAt1: nil, phase: name, fraction: fraction)) }
        }
        // The analysis spreads its own fixed blocks over the threads, each calling OpenBLAS on one thread:
        // the values then do not depend on the thread count (OpenBLAS's own split can change the last bits).
        let threads = spec.threads(share: threadShare)
        BLASThreads.set(1)
        phase("load", 0)
        let data = try prepare(spec)
        // Every probe is chosen before the heavy work, so a set that cannot give one fails at once.
        let rows = try probeRows(spec, labels: data.labels)
        let lossRows = data.count <= Runner.maxLossPoints ? Array(0..<data.count)
            : try specErrors { try classKeepingProbe(labels: data.labels, size: Runner.maxLossPoints, perClassCap: spec.probePerClass, seed: spec.seed) }
        // `features` are the input divided by a power of two when its values were outside Float32's
        // comfortable range (`Float32Conversion`): the estimators get the probe back in the input's units
        // (Double holds them; the estimators scale for themselves), the losses and signals are computed
        // in the features' units with the margin in the same units and stated back.
        let unit = data.conversion.unit
        let scaledProbe = data.features.rows(rows).converted(to: Double.self)
        var probe = scaledProbe
        if unit != 1 { for i in 0..<probe.storage.count { probe.storage[i] *= unit } }
        let probeLabels = rows.map { data.labels[$0] }
        let (reference, seriesInfo) = try seriesReference(spec, probe: scaledProbe, unit: unit)
        // A series' baseline step is the untrained network of the run (or whatever the run started from):
        // nothing has trained yet, so it is judged as a train run's step 0, and the series' collapse is
        // its first collapse after the baseline — unless the series' monitor recorded training batches
        // before it (a first checkpoint at epoch 1 of a monitored loop is a trained network's: it is
        // judged as one, a collapse there included).
        // A trained baseline is no untrained reference for the steps after it either: its κ does not say
        // where the run started. When the monitor sent its first batches, every step of such a series
        // (the baseline included) is judged against the run's start as the monitor saw it: at chance
        // then, the batches' spread not contracted since, it is still at chance.
        var untrained = spec.untrained
        var trainedBefore: TrainedBefore?
        if !untrained, let info = seriesInfo, let baselineStep = info.baselineStep {
            trainedBefore = try baselines?.trainedBefore(baselineStep, in: info.name, through: info.step)
            if baselineStep == info.step { untrained = trainedBefore == nil }
        }
        var options = EstimatorOptions(probeSize: spec.probeSize, seed: spec.seed, fStar: FStarOptions(iterations: spec.iterations, threads: threads),
                                       referenceScale: reference?.scale, referenceKind: reference?.kind ?? .stated,
                                       margin: spec.margin, untrained: untrained)
        if trainedBefore == nil {
            options.referenceKappa = seriesInfo?.baselineKappa
            options.referenceRows = seriesInfo?.baselineKappaRows
        }

        phase("retrieval metrics", 0)
        let eval = RetrievalMetrics.exact(data.features, labels: data.labels, threads: threads) { phase("retrieval metrics", $0) }

        // The provisional and the final verdict are the same rule on the same inputs (the final adds f*'s contraction).
        let chance = chancePrecisionAtOne(labels: data.labels)
        let sphereSpread = spec.normalize ? nil : Runner.sphereSpread(probe)
        func diagnose(_ basis: VerdictBasis) -> Diagnosis {
            let x = basis.inputs(precisionAt1: eval.precisionAt1, chance: chance, margin: spec.margin, untrained: untrained,
                                 referenceKappa: seriesInfo?.baselineKappa,
                                 referenceRows: seriesInfo?.baselineKappaRows, classes: data.classCount)
            var judged = trainedBefore?.reference(x) ?? x
            judged.sphereSpread = sphereSpread
            return Diagnosis(judged)
        }
        phase("estimators", 0)
        let quick = try specErrors { try QuickLook(probe: probe, labels: probeLabels, rows: rows, setSize: data.count, options: options, times: estimatorParts) }
        let early = quick.basis
        try provisional(ProvisionalVerdict(diagnosis: diagnose(early), precisionAt1: eval.precisionAt1, mapAtR: eval.mapAtR,
                                           relativeSpread: early.collapse.meanRatio, lHard: early.lHard,
                                           seconds: Double(DispatchTime.now().uptimeNanoseconds - started) * 1e-9))

        phase("losses", 0)
        let lossPoints = data.features.rows(lossRows).converted(to: Double.self), lossLabels = lossRows.map { data.labels[$0] }
        let config = TripletLossConfig(kind: .hinge, margin: spec.margin / unit, distance: .euclidean)
        let losses = LossSummary(
            margin: spec.margin, points: lossRows.count,
            batchHard: unit * tripletLoss(lossPoints, labels: lossLabels, miner: .batchHard, config: config).loss,
            batchAll: unit * tripletLoss(lossPoints, labels: lossLabels, miner: .batchAll, config: config).loss,
            semiHard: unit * tripletLoss(lossPoints, labels: lossLabels, miner: .semiHard, config: config).loss)

        phase("estimators", 0)
        let (report, kept) = try specErrors { try EstimatorReport.finishing(quick, times: estimatorParts) }
        phase("estimators", 1)
        phase("verdict", 0, reported: false)
        let summary = DatasetSummary(name: data.name, rows: data.count, dim: data.dimension, classes: data.classCount,
                                     trainRows: 0, testRows: data.count, trainClasses: 0, testClasses: data.classCount)
        let diagnosis = diagnose(report.basis)
        let (signals, warning) = checkpointWarning(spec, report: report, probe: scaledProbe, unit: unit, labels: probeLabels, verdict: diagnosis.verdict)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) * 1e-9
        if let c = current { phases.add(c.name, seconds: Double(DispatchTime.now().uptimeNanoseconds - c.since) * 1e-9) }
        let parts = phases.recorded.map { AnalyzeTiming.Part(name: $0.name, seconds: $0.seconds) }
            + estimatorParts.recorded.map { AnalyzeTiming.Part(name: "estimators/" + $0.name, seconds: $0.seconds) }
        logger.info("analyzed", metadata: ["dataset": "\(data.name)", "verdict": "\(diagnosis.verdict.rawValue)"])
        let result = AnalyzeResult(
            spec: spec.json, dataset: summary,
            final: AnalysisRecord(eval: eval, losses: losses, estimators: report, diagnosis: diagnosis, verdict: diagnosis.verdict),
            timing: AnalyzeTiming(totalSeconds: seconds, parts: parts), verdict: diagnosis.verdict, series: seriesInfo, signals: signals, warning: warning)
        try requireFinite(result)
        return (result, kept)
    }

    /// Most probe rows the sphere's spread is read on: a context figure, a mean over at least 600·599/2 pairs.
    static let sphereSpreadRows = 600

    /// The mean pairwise distance of the probe's rows L2-normalised (rows of norm 0 left out), on evenly
    /// spaced rows of it at most `sphereSpreadRows`: what a loss that normalises the embeddings measures.
    static func sphereSpread(_ probe: Matrix<Double>) -> Double? {
        let every = max(1, (probe.rows + sphereSpreadRows - 1) / sphereSpreadRows)
        let unit = rowsNormalized(probe.rows(Array(stride(from: 0, to: probe.rows, by: every))))
        // A zero row stays zero when normalised: it has no direction, so it is left out.
        let rows = (0..<unit.rows).filter { r in (0..<unit.cols).contains { unit[r, $0] != 0 } }
        guard rows.count >= 2 else { return nil }
        return meanPairwiseDistance(squaredDistances: exactPairwiseSquaredDistances(unit.rows(rows)))
    }

    /// The collapse-warning signals of this embedding and the warning they give, when its spread has a
    /// reference (a series' baseline, `reference_scale`, or the sphere): the training rule applied to one
    /// checkpoint. An embedding the verdict already calls collapsed gets no warning (it is past it).
    func checkpointWarning(_ spec: AnalyzeSpec, report: EstimatorReport, probe: Matrix<Double>, unit: Double, labels: [Int], verdict: Verdict)
        -> (StepSignals?, CollapseWarning?) {
        guard let ratio = report.collapse.meanRatio,
              var signals = StepSignals.checkpoint(step: spec.step ?? 0, points: probe, labels: labels, margin: spec.margin / unit, spreadRatio: ratio,
                                                   effectiveRank: report.collapse.effectiveRank, seed: spec.seed) else { return (nil, nil) }
        if unit != 1 {
            // Lengths back in the input's units (the ratios and fractions do not change).
            signals.loss *= unit
            signals.meanPositive *= unit
            signals.meanNegative *= unit
            signals.gap *= unit
            signals.batchSpread *= unit
            signals.outputNorm *= unit
        }
        let reference: String
        switch report.collapse.reference {
        case .seriesBaseline: reference = "the baseline step's"
        case .sphere: reference = "√2 × the common norm"
        default: reference = "reference_scale"
        }
        return (signals, verdict == .collapsed ? nil : WarningRule.check(checkpoint: signals, reference: reference))
    }

    /// A last check that no infinite or NaN number reaches result.json (the probes above are chosen so
    /// none arises; if one did, the job fails naming the field instead of writing an invalid document).
    func requireFinite(_ result: AnalyzeResult) throws {
        do {
            _ = try JSONValue.from(result)
        } catch EncodingError.invalidValue(let value, let context) {
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            throw RunError("the analysis produced a non-finite number (\(value)) at result\(path); please report this input")
        }
    }

    /// The spread reference of an analysis: `reference_scale` when given; for a series step, the mean
    /// pairwise distance of the same probe at the series' baseline step (the probe is drawn by the
    /// same seed and size from the baseline's points, so a series of one test set compares like with like).
    func seriesReference(_ spec: AnalyzeSpec, probe: Matrix<Double>, unit: Double)
        throws -> (reference: (scale: Double, kind: SpreadReference)?, info: SeriesStepInfo?) {
        if let scale = spec.referenceScale {
            guard let series = spec.series, let step = spec.step else { return ((scale, .stated), nil) }
            // The baseline step is still needed to judge that step as untrained; without a database
            // (`isomine run`) a stated scale stands alone.
            let baselineStep = try baselines?.baseline(of: series, named: spec.baselineStep)?.step
            return ((scale, .stated), SeriesStepInfo(name: series, step: step, baselineStep: baselineStep))
        }
        guard let series = spec.series, let step = spec.step else { return (nil, nil) }
        guard let baselines else {
            throw SpecError(path: "spec.series", "a series step is judged against its series' baseline, which the worker reads from the database; enqueue it (isomine submit) or give reference_scale")
        }
        guard let baseline = try baselines.baseline(of: series, named: spec.baselineStep) else {
            throw SpecError(path: spec.baselineStep == nil ? "spec.series" : "spec.baseline_step",
                            "\(spec.baselineStep.map { "the baseline step \($0)" } ?? "the baseline step") of series '\(series)' was not submitted")
        }
        func spread(_ p: Matrix<Double>) -> Double { CollapseMetrics(p, squaredDistances: exactPairwiseSquaredDistances(p)).meanPairwiseDistance }
        let value: Double
        var kappa: Double?, kappaRows: Int?
        if baseline.step == step {
            value = spread(probe) * unit
        } else {
            let other: LabeledData
            do {
                // Judged as this step is: a series is judged one way (isomine.series.normalize).
                other = try judged(baseline.dataset.load(dataRoot: dataRoot, inputs: inputs, field: "baseline step \(baseline.step)'s dataset", loneClasses: true), spec)
            } catch let e as DatasetError {
                throw SpecError(path: "spec.series", "the baseline step \(baseline.step) of series '\(series)' cannot be read: \(e.message)")
            }
            // The baseline's probe is drawn by the same rule, seed and size.
            let rows = try probeRows(spec, labels: other.labels)
            let baselineProbe = other.features.rows(rows).converted(to: Double.self)
            value = spread(baselineProbe) * other.conversion.unit
            // Whether the baseline was at chance: leave-one-out 1-NN on the same probe.
            let (p1, chance) = nearestNeighbourPrecision(squaredDistances: exactPairwiseSquaredDistances(baselineProbe).storage,
                                                         labels: rows.map { other.labels[$0] })
            kappa = DiagnosisInputs.kappa(precisionAt1: p1, chance: chance)
            kappaRows = rows.count
        }
        var info = SeriesStepInfo(name: series, step: step, baselineStep: baseline.step, baselineSpread: value)
        info.baselineKappa = kappa
        info.baselineKappaRows = kappaRows
        return (value > 0 && value.isFinite ? (value, .seriesBaseline) : nil, info)
    }
}
