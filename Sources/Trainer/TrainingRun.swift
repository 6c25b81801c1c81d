// The training loop: PK batches, forward, mining, backward, optimiser step; evaluation and checkpoints.
import Retrieval
import CollapseSignals
import Datasets
import Estimators
import Isometry
import Foundation
import Linalg
import Triplets

/// Callbacks a caller gives `TrainingRun.run`; all optional.
public struct TrainingHooks {
    /// After every training step: the step number and that step's loss.
    public var onStep: (Int, Double) -> Void = { _, _ in }
    /// After every evaluation (step 0 included).
    public var onEvaluation: (EvaluationRecord) -> Void = { _ in }
    /// Save a checkpoint every this many steps (0: never).
    public var checkpointEvery = 0
    public var onCheckpoint: (TrainingCheckpoint) throws -> Void = { _ in }
    /// Polled between steps; returning true stops the run after the current step (for cancellation).
    public var shouldStop: () -> Bool = { false }
    /// Record the per-step signals at step 0 and every this many steps (0: never).
    public var signalsEvery = 0
    public var onSignals: (StepSignals) -> Void = { _ in }
    /// Once per run (not again after a resume): when the signals first warn of collapse.
    public var onWarning: (CollapseWarning) -> Void = { _ in }
    /// Reasons to warn at step 0, before any training (the step-0 collapse risk at its threshold): the
    /// warning is raised with step 0's signals once step 0 is evaluated.
    public var stepZeroWarning: [WarningReason]?
    /// At the signal records of steps that are multiples of this (after step 0; 0: never), `mechanism`
    /// measures the run as it is now and its value goes into the record's `mechanismRatio`.
    public var mechanismEvery = 0
    public var mechanism: (TrainingRun) -> Double? = { _ in nil }
    /// What to do when the warning fires (nil: nothing here; `stop` is the caller's, through
    /// `shouldStop`): go back to the last rewind point before the warning and train on changed.
    public var warningAction: WarningAction?
    /// With a `warningAction`: keep a rewind point (an in-memory checkpoint) at step 0 and every this
    /// many steps until the action is taken (0: step 0 only).
    public var rewindEvery = 0
    /// After the action is taken (once per run), with what was done.
    public var onIntervention: (WarningIntervention) -> Void = { _ in }

    public init() {}
}

/// One training run on a train split, evaluated on a held-out split.
///
/// The per-step path reuses buffers allocated here, so it does not allocate; everything random
/// comes from seeded streams whose state is in the checkpoint, so a resumed run matches an
/// uninterrupted one bit for bit.
public final class TrainingRun {
    public let config: TrainingConfig
    public let train: LabeledData
    public let test: LabeledData
    public let model: MLP<Float>
    public private(set) var step = 0
    public private(set) var history: [EvaluationRecord] = []
    /// Wall-clock seconds spent in training steps (not evaluation) in this process.
    public private(set) var trainSeconds = 0.0
    /// Training steps run in this process (fewer than `step` after a resume).
    public private(set) var stepsThisProcess = 0
    /// Wall-clock seconds spent evaluating in this process.
    public private(set) var evalSeconds = 0.0

    let workspace: MLPWorkspace<Float>
    /// The triplet objective: the config's miner, or the one a `switch_miner` action chose.
    var objective: TripletObjective<Float>
    let optimizer: Optimizer<Float>
    let trainFeatures: Buffer<Float>
    var rng: SeededRNG
    var sampler: PKSampler
    var batchIndices: [Int]
    var batchLabels: [Int]
    var window = StatsWindow()
    var baselineSpread = 0.0
    /// Mean pairwise distance of the estimator probe at step 0: the reference scale of its collapse ratios.
    var baselineProbeSpread = 0.0
    /// The per-step signals recorded so far (at the hooks' stride), and the first batch's spread they are relative to.
    public internal(set) var signals: [StepSignals] = []
    /// The run's collapse warning, once it has fired.
    public internal(set) var warning: CollapseWarning?
    /// What the run did on its warning (a `WarningAction`), once done.
    public internal(set) var intervention: WarningIntervention?
    /// The latest rewind point kept for a `WarningAction` (nil before step 0's and after the action).
    var rewindPoint: TrainingCheckpoint?
    var baselineBatchSpread = 0.0
    /// Rows of the evaluation set the estimators analyse (fixed for the run).
    let probeRows: [Int]
    /// The fixed probe of at most `StepSignals.probeSize` evaluation rows judged at every signal
    /// record (its features, its labels), so a collapse is dated by the signal stride, not by evaluations.
    let signalProbe: (features: Matrix<Float>, labels: [Int])
    /// The points behind the latest evaluation's estimators (f on the probe, f*), and that evaluation's step.
    public private(set) var latestFStar: (step: Int, points: FStarPoints)?

    /// Prepares a run (fresh, or continuing `checkpoint`). Inputs must already be standardised.
    public init(config: TrainingConfig, train: LabeledData, test: LabeledData, resumeFrom checkpoint: TrainingCheckpoint? = nil) throws {
        guard train.dimension == config.model.inputDim, test.dimension == config.model.inputDim else {
            throw TrainingError("model input dimension \(config.model.inputDim) does not match the data's \(train.dimension) features")
        }
        self.config = config
        self.train = train
        self.test = test
        var initRNG = SeededRNG(seed: config.seed, stream: RandomStream.initialisation.rawValue)
        model = MLP(shape: config.model, rng: &initRNG)
        workspace = MLPWorkspace(shape: config.model, batch: config.batchSize)
        objective = TripletObjective(config: config.loss, miner: config.miner, batch: config.batchSize, dim: config.model.embeddingDim)
        optimizer = Optimizer(config: config.optimizer, parameterCount: config.model.parameterCount, totalSteps: config.steps)
        trainFeatures = Buffer(count: train.features.storage.count)
        trainFeatures.load(train.features.storage)
        rng = SeededRNG(seed: config.seed, stream: RandomStream.sampling.rawValue)
        do {
            sampler = try PKSampler(labels: train.labels, classesPerBatch: config.classesPerBatch,
                                    samplesPerClass: config.samplesPerClass, rng: &rng)
        } catch let e as DatasetError {
            throw TrainingError(e.description)
        }
        if config.estimators.enabled {
            guard config.estimators.probeSize >= 3 else {
                throw TrainingError("estimators.probe_size: must be at least 3")
            }
            probeRows = TrainingRun.probe(labels: test.labels, size: config.estimators.probeSize, seed: config.seed)
        } else {
            probeRows = []
        }
        let signalRows = TrainingRun.probe(labels: test.labels, size: StepSignals.probeSize, seed: config.seed)
        signalProbe = (test.features.rows(signalRows), signalRows.map { test.labels[$0] })
        batchIndices = [Int](repeating: 0, count: config.batchSize)
        batchLabels = [Int](repeating: 0, count: config.batchSize)
        if let checkpoint { try restore(checkpoint) }
    }

    func restore(_ c: TrainingCheckpoint) throws {
        guard c.header.config == config else {
            throw TrainingError("checkpoint: it was written by a run with a different configuration; refusing to resume")
        }
        guard c.parameters.count == model.parameters.count, c.second.count == optimizer.second.count,
              let restored = SeededRNG(state: c.header.rng) else {
            throw TrainingError("checkpoint: tensor sizes or RNG state do not match this model")
        }
        model.parameters.load(c.parameters)
        optimizer.first.load(c.first)
        optimizer.second.load(c.second)
        optimizer.updates = c.header.optimizerUpdates
        rng = restored
        sampler = c.header.sampler
        window = c.header.window
        history = c.header.history
        baselineSpread = c.header.baselineSpread
        baselineProbeSpread = c.header.baselineProbeSpread
        signals = c.header.signals ?? []
        warning = c.header.warning
        intervention = c.header.intervention
        applyIntervention()
        baselineBatchSpread = c.header.baselineBatchSpread ?? signals.first?.batchSpread ?? 0
        step = c.header.step
    }

    /// A snapshot from which an identical continuation can be made.
    public func checkpoint() -> TrainingCheckpoint {
        TrainingCheckpoint(
            header: .init(config: config, step: step, rng: rng.state, sampler: sampler, window: window, history: history,
                          baselineSpread: baselineSpread, baselineProbeSpread: baselineProbeSpread, signals: signals, warning: warning,
                          baselineBatchSpread: baselineBatchSpread, intervention: intervention, optimizerUpdates: optimizer.updates,
                          parameterCount: model.parameters.count, secondCount: optimizer.second.count),
            parameters: model.parameters.array, first: optimizer.first.array, second: optimizer.second.array)
    }

    /// Trains to `config.steps` (or until `hooks.shouldStop`), evaluating at step 0, every `evalEvery` and at the end.
    public func run(hooks: TrainingHooks = TrainingHooks()) throws {
        if step == 0 && history.isEmpty {
            let initial = probeInitialBatch()
            var zero: StepSignals?
            if hooks.signalsEvery > 0 {
                let s = stepSignals(initial)
                signals.append(s)
                hooks.onSignals(s)
                zero = s
            }
            let record = try evaluate()
            history.append(record)
            hooks.onEvaluation(record)
            // After step 0's evaluation, so the page the warning links to has it.
            if let reasons = hooks.stepZeroWarning, let zero, warning == nil {
                let w = CollapseWarning(step: 0, reasons: reasons, signals: zero)
                warning = w
                // Acted on first, so the announcement says what the run did.
                if let action = hooks.warningAction { try act(action, on: w, hooks: hooks) }
                hooks.onWarning(w)
            }
        }
        // The first rewind point: step 0, or where a resumed run starts.
        if hooks.warningAction != nil && intervention == nil && rewindPoint == nil { rewindPoint = checkpoint() }
        while step < config.steps {
            if hooks.shouldStop() { return }
            let start = DispatchTime.now().uptimeNanoseconds
            let stats = trainStep()
            trainSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            stepsThisProcess += 1
            guard stats.loss.isFinite else {
                throw TrainingError("training diverged: the loss is \(stats.loss) at step \(step); lower optimizer.learning_rate")
            }
            hooks.onStep(step, stats.loss)
            if hooks.signalsEvery > 0 && step % hooks.signalsEvery == 0 {
                var s = stepSignals(stats)
                if hooks.mechanismEvery > 0 && step % hooks.mechanismEvery == 0 { s.mechanismRatio = hooks.mechanism(self) }
                signals.append(s)
                hooks.onSignals(s)
                if warning == nil, let w = WarningRule.check(signals, margin: config.loss.marginDistance) {
                    warning = w
                    if let action = hooks.warningAction {
                        try act(action, on: w, hooks: hooks)
                        hooks.onWarning(w)
                        continue
                    }
                    hooks.onWarning(w)
                }
            }
            if config.isEvaluationStep(step) {
                let record = try evaluate()
                history.append(record)
                hooks.onEvaluation(record)
            }
            if hooks.checkpointEvery > 0 && step % hooks.checkpointEvery == 0 && step < config.steps {
                try hooks.onCheckpoint(checkpoint())
            }
            if hooks.warningAction != nil && intervention == nil && hooks.rewindEvery > 0 && step % hooks.rewindEvery == 0 {
                rewindPoint = checkpoint()
            }
        }
    }

    /// Evaluates now unless the latest evaluation is of this step (a run stopped on a warning ends with
    /// an evaluation of the step it stopped at).
    public func evaluateIfNeeded() throws {
        guard history.last?.step != step else { return }
        history.append(try evaluate())
    }

    /// One optimisation step on the next PK batch.
    @discardableResult
    public func trainStep() -> TripletLossStats {
        let stats = lossOnNextBatch(sampler: &sampler, rng: &rng, withGradient: true)
        let lr = optimizer.currentLearningRate
        optimizer.step(parameters: model.parameters.pointer, gradients: model.gradients.pointer)
        step += 1
        window.add(stats, meanNorm: meanOutputNorm(), learningRate: lr)
        return stats
    }

    /// Draws a batch, runs the network and the objective; backpropagates when asked.
    private func lossOnNextBatch(sampler: inout PKSampler, rng: inout SeededRNG, withGradient: Bool) -> TripletLossStats {
        loadNextBatch(sampler: &sampler, rng: &rng)
        model.forward(workspace)
        let stats = evaluateObjective(rng: &rng, withGradient: withGradient)
        if withGradient { model.backward(workspace) }
        return stats
    }

    /// Draws the next PK batch and copies its rows and labels into the workspace.
    func loadNextBatch(sampler: inout PKSampler, rng: inout SeededRNG) {
        sampler.next(into: &batchIndices, rng: &rng)
        let dim = config.model.inputDim
        for (slot, row) in batchIndices.enumerated() {
            (workspace.input.pointer + slot * dim).update(from: trainFeatures.pointer + row * dim, count: dim)
            batchLabels[slot] = train.labels[row]
        }
    }

    /// The triplet objective on the workspace's current embeddings (gradient into the workspace when asked).
    func evaluateObjective(rng: inout SeededRNG, withGradient: Bool) -> TripletLossStats {
        batchLabels.withUnsafeBufferPointer { labels in
            objective.evaluate(embeddings: workspace.embeddings, labels: labels.baseAddress!, rng: &rng,
                               gradient: withGradient ? workspace.outputGradient.pointer : nil)
        }
    }

    private func meanOutputNorm() -> Double {
        var s = 0.0
        for i in 0..<workspace.batch { s += Double(workspace.outputNorms[i]) }
        return s / Double(workspace.batch)
    }

    /// Statistics for the step-0 record, from one batch of an independent stream (the run's own
    /// sampling stream is untouched, so evaluating does not change what is trained).
    @discardableResult
    private func probeInitialBatch() -> TripletLossStats {
        var probeRNG = SeededRNG(seed: config.seed, stream: RandomStream.probe.rawValue)
        var probeSampler = sampler
        let stats = lossOnNextBatch(sampler: &probeSampler, rng: &probeRNG, withGradient: false)
        window.add(stats, meanNorm: meanOutputNorm(), learningRate: optimizer.currentLearningRate)
        return stats
    }

    /// The embeddings the model outputs for `x` (rows), normalised when the model normalises.
    public func embed(_ x: Matrix<Float>) -> Matrix<Float> { TrainingRun.embed(x, with: model, shape: config.model) }

    static func embed(_ x: Matrix<Float>, with model: MLP<Float>, shape: MLPShape) -> Matrix<Float> {
        let ws = MLPWorkspace<Float>(shape: shape, batch: x.rows)
        ws.input.load(x.storage)
        model.forward(ws)
        let n = shape.embeddingDim
        return Matrix(rows: x.rows, cols: n, storage: Array(UnsafeBufferPointer(start: ws.embeddings, count: x.rows * n)))
    }

    /// Evaluates the held-out split now (retrieval, collapse signal, estimators on the probe) and
    /// closes the statistics window.
    public func evaluate() throws -> EvaluationRecord {
        let started = DispatchTime.now().uptimeNanoseconds
        defer { evalSeconds += Double(DispatchTime.now().uptimeNanoseconds - started) * 1e-9 }
        let e = embed(test.features)
        guard e.storage.allSatisfy({ $0.isFinite }) else {
            throw TrainingError("training diverged: non-finite embeddings at step \(step); lower optimizer.learning_rate")
        }
        // Exact neighbours by blocks: no N × N matrix, so the test split has no size cap.
        let nn = ExactNeighbours(e, k: RetrievalMetrics.neighbourCount(labels: test.labels), meanDistance: true)
        let metrics = RetrievalMetrics(neighbours: nn, labels: test.labels)
        let spread = nn.meanPairwiseDistance ?? 0
        guard spread.isFinite else {
            throw TrainingError("training diverged: non-finite embeddings at step \(step); lower optimizer.learning_rate")
        }
        if step == 0 || baselineSpread == 0 { baselineSpread = spread }
        let relative = baselineSpread > 0 ? spread / baselineSpread : 0
        let collapsedLoss = config.loss.collapsedValue
        let atMargin = abs(window.meanLoss - collapsedLoss) < 1e-3
        let signal = CollapseSignal(meanPairwiseDistance: spread, relativeSpread: relative, collapsedLoss: collapsedLoss, lossAtMargin: atMargin)
        var estimators: EstimatorReport?
        var checkpointSignals: StepSignals?
        if config.estimators.enabled {
            let probe = e.rows(probeRows).converted(to: Double.self), probeLabels = probeRows.map { test.labels[$0] }
            if step == 0 || baselineProbeSpread == 0 {
                let d2 = exactPairwiseSquaredDistances(probe)
                baselineProbeSpread = CollapseMetrics(probe, squaredDistances: d2).meanPairwiseDistance
            }
            var options = EstimatorOptions(
                maxExactPoints: Int.max, seed: config.seed,
                fStar: FStarOptions(iterations: step >= config.steps ? config.estimators.finalIterations : config.estimators.iterations),
                referenceScale: baselineProbeSpread > 0 ? baselineProbeSpread : nil, referenceKind: .stepZero,
                margin: config.loss.marginDistance, untrained: step == 0)
            options.referenceKappa = step == 0 ? nil : history.first.map { $0.diagnosis.evidence.kappa }
            options.referenceRows = step == 0 ? nil : test.count
            do {
                let (report, points) = try EstimatorReport.withPoints(points: probe, labels: probeLabels, options: options)
                estimators = report
                latestFStar = (step, points)
                checkpointSignals = report.collapse.meanRatio.flatMap { ratio in
                    StepSignals.checkpoint(step: step, points: probe, labels: probeLabels, margin: config.loss.margin,
                                           spreadRatio: ratio, effectiveRank: report.collapse.effectiveRank, seed: config.seed)
                }
            } catch let error as EstimatorError {
                throw TrainingError("estimators at step \(step): \(error.message)")
            }
        }
        let chance = chancePrecisionAtOne(labels: test.labels)
        // κ at step 0 (the untrained network), against which "still at chance" is judged.
        let initialKappa = step == 0 ? nil : history.first.map { $0.diagnosis.evidence.kappa }
        var inputs: DiagnosisInputs
        if let estimators {
            inputs = estimators.inputs(precisionAt1: metrics.precisionAt1, chance: chance, margin: config.loss.marginDistance, untrained: step == 0,
                                       referenceKappa: initialKappa, lossAtCollapsedValue: atMargin, activeFraction: window.activeFraction,
                                       classes: test.classCount)
        } else {
            // Without estimators: the spread of the whole split, and the effective rank of a sample.
            let sample = stratifiedSample(labels: test.labels, size: min(256, test.count), seed: config.seed)
            inputs = DiagnosisInputs(
                precisionAt1: metrics.precisionAt1, chancePrecisionAt1: chance, margin: config.loss.marginDistance, meanPairwiseDistance: spread,
                allCoincide: spread == 0, referenceRatio: relative, reference: .stepZero,
                effectiveRank: effectiveRank(e.rows(sample).converted(to: Double.self)), dimension: config.model.embeddingDim,
                classes: test.classCount, lossAtCollapsedValue: atMargin, activeFraction: window.activeFraction, untrained: step == 0)
            inputs.referenceKappa = initialKappa
        }
        // Step 0's κ was measured on the same split.
        inputs.referenceRows = initialKappa == nil ? nil : test.count
        let diagnosis = Diagnosis(inputs)
        let record = EvaluationRecord(
            step: step, loss: window.meanLoss, activeFraction: window.activeFraction, stats: window.stats, eval: metrics,
            collapse: signal, estimators: estimators, diagnosis: diagnosis, verdict: diagnosis.verdict, checkpointSignals: checkpointSignals)
        window = StatsWindow()
        return record
    }
}

extension TrainingRun {
    /// Takes `action` on `warning`: back to the last rewind point (state, history and signals as they
    /// were there; the batches that follow are the same ones), the warning kept, the change applied.
    func act(_ action: WarningAction, on warning: CollapseWarning, hooks: TrainingHooks) throws {
        let point = rewindPoint ?? checkpoint()
        // A collapse at or before the rewind point stays in the run's own signals; only later ones are abandoned.
        let abandoned = signals.first { $0.step > point.step && $0.probe?.verdict == .collapsed }?.step
        try restore(point)
        rewindPoint = nil
        self.warning = warning
        var record = WarningIntervention(action: action.name, warnedAt: warning.step, resumedFrom: point.step, abandonedCollapseStep: abandoned)
        switch action {
        case .switchMiner(let miner):
            record.previousMiner = config.miner
            record.miner = miner
        case .lowerLearningRate(let factor):
            record.factor = factor
            record.learningRate = config.optimizer.learningRate * factor
        }
        intervention = record
        applyIntervention()
        hooks.onIntervention(record)
    }

    /// Trains as `intervention` says from here on (the config's miner and rate without one).
    func applyIntervention() {
        let miner = intervention?.miner ?? config.miner
        if objective.miner != miner {
            objective = TripletObjective(config: config.loss, miner: miner, batch: config.batchSize, dim: config.model.embeddingDim)
        }
        optimizer.learningRateScale = intervention?.factor ?? 1
    }
}
