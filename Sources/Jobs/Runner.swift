// The Runner: one pipeline from a validated spec to a result, shared by `isomine run` and the worker.
import CollapseRisk
import CollapseSignals
import Datasets
import Dispatch
import Estimators
import Foundation
import Isometry
import Linalg
import Logging
import Trainer

/// Progress of a running job, for progress bars and logs.
public struct RunProgress: Sendable {
    public var step: Int
    public var totalSteps: Int
    public var loss: Double
    /// P@1 of the latest evaluation.
    public var precisionAt1: Double?
    /// The phase of a job without steps (an analysis: load, retrieval metrics, losses, estimators) and
    /// how far it is (0…1), when known.
    public var phase: String? = nil
    public var fraction: Double? = nil
}

/// How a run ended.
public enum RunOutcome: Sendable {
    case finished(TrainResult)
    case analyzed(AnalyzeResult)
    /// A sweep run in this process ended (its runs may have failed individually).
    case swept(SweepResult)
    /// Stopped early (cancel, shutdown or `stopAfter`) at this step; the sink has a checkpoint of it.
    /// (For a sweep run in this process: stopped during run number `step`.)
    case stopped(step: Int)
}

/// Data prepared for training: split, standardised, and the model's input width filled in.
public struct PreparedTraining: Sendable {
    public var config: TrainingConfig
    public var split: DataSplit
    public var summary: DatasetSummary
}

/// The baselines of series (the worker reads them from the database).
public protocol SeriesBaselines: Sendable {
    /// The step a series' spread is judged against (`named`, else the series' recorded baseline) and that
    /// step's dataset; nil when no job of the series has that step.
    func baseline(of series: String, named: Int?) throws -> (step: Int, dataset: DatasetSource)?
    /// What the series' monitor recorded of the run through step `step`, when it recorded a training
    /// batch before the baseline step `baseline` (nil otherwise). Then the baseline is not an untrained
    /// network's.
    func trainedBefore(_ baseline: Int, in series: String, through step: Int) throws -> TrainedBefore?
}

extension SeriesBaselines {
    /// Without a monitor's records nothing says a run trained before its baseline.
    public func trainedBefore(_ baseline: Int, in series: String, through step: Int) throws -> TrainedBefore? { nil }
}

/// What a series' monitor recorded of its run when it recorded training batches before the series'
/// first checkpoint (its baseline): whether the untrained network was at chance on its first training
/// batch, and how much the batches' spread has contracted since. With both, a checkpoint at chance
/// whose run started at chance and has not contracted is "still at chance", as a series with an
/// untrained baseline would judge it, rather than "classes lost".
public struct TrainedBefore: Sendable, Equatable {
    /// κ of the monitor's first batch (leave-one-out 1-NN above its chance), that batch's chance and its
    /// queries; nil when the monitor sent no step-0 batches (the Python monitor does unless
    /// `risk_batches=0`) or they could not be read.
    public var firstBatchKappa: Double?
    public var firstBatchChance: Double?
    public var firstBatchRows: Int?
    /// The batch spread of the monitor's last row at or before the step judged over its first row's.
    public var spreadRatio: Double?

    public init(firstBatchKappa: Double? = nil, firstBatchChance: Double? = nil, firstBatchRows: Int? = nil, spreadRatio: Double? = nil) {
        self.firstBatchKappa = firstBatchKappa
        self.firstBatchChance = firstBatchChance
        self.firstBatchRows = firstBatchRows
        self.spreadRatio = spreadRatio
    }

    /// `x` judged against the monitor's start: its reference becomes the monitor's batches, when the
    /// monitor measured both the first batch's κ and the spread since. Otherwise nothing says where the
    /// run started: the trained baseline's κ is no untrained reference, so "still at chance" is not read.
    /// A stated `reference_scale` stays the reference (the user chose it; it carries no κ).
    public func reference(_ x: DiagnosisInputs) -> DiagnosisInputs {
        var x = x
        guard x.reference != .stated else { return x }
        guard let kappa = firstBatchKappa, let ratio = spreadRatio, ratio.isFinite else {
            (x.referenceKappa, x.referenceRows) = (nil, nil)
            return x
        }
        x.reference = .monitorBatches
        x.referenceRatio = ratio
        x.referenceKappa = kappa
        x.referenceRows = firstBatchRows
        x.referenceChance = firstBatchChance
        return x
    }
}

/// Runs jobs. Stateless apart from where it reads data and where it logs.
public struct Runner: Sendable {
    public let dataRoot: DataRoot
    public let logger: Logger
    /// Inputs stored in the database and series baselines (nil for `isomine run`: no database).
    public var inputs: (any StoredInputs)?
    public var baselines: (any SeriesBaselines)?
    /// Threads of a job whose spec does not set `threads`: its share of the machine (see `threadShare(concurrency:)`).
    public var threadShare = Runner.threadShare(concurrency: 1)

    /// The environment variable that sets the threads of a job whose spec does not (1…256).
    public static let threadsVariable = "ISOMINE_JOB_THREADS"

    /// A job's share of the machine when `concurrency` jobs run at once: `ISOMINE_JOB_THREADS` when set
    /// (an operator keeping cores for other work, or tests running many jobs at once), else the cores ÷
    /// `concurrency` (at least 1).
    public static func threadShare(concurrency: Int, environment: [String: String] = ProcessInfo.processInfo.environment) -> Int {
        if let text = environment[threadsVariable], let t = Int(text), (1...256).contains(t) { return t }
        return max(1, ProcessInfo.processInfo.activeProcessorCount / max(1, concurrency))
    }

    /// Largest model accepted (400 MB of Float32 parameters, as much again for each Adam moment).
    public static let maxParameters = 100_000_000

    public init(dataRoot: DataRoot = .fromEnvironment(), logger: Logger = Logger(label: "isomine.runner"),
                inputs: (any StoredInputs)? = nil, baselines: (any SeriesBaselines)? = nil) {
        self.dataRoot = dataRoot
        self.logger = logger
        self.inputs = inputs
        self.baselines = baselines
    }

    /// Loads, checks, splits and standardises the data of a train spec. Data problems become `SpecError`s.
    public func prepare(_ spec: TrainSpec) throws -> PreparedTraining {
        do {
            let data = try spec.dataset.load(dataRoot: dataRoot, inputs: inputs, field: "spec.dataset")
            var rng = SeededRNG(seed: spec.training.seed, stream: 0x5117)
            var split = try spec.split.apply(to: data, rng: &rng, field: "spec.split")
            if spec.standardize {
                let s = Standardizer(fitting: split.train.features)
                split.train.features = s.apply(split.train.features)
                split.test.features = s.apply(split.test.features)
            }
            let trainClasses = split.train.indicesByClass.filter { !$0.isEmpty }.count
            if spec.training.classesPerBatch > trainClasses {
                throw SpecError(path: "spec.sampler.classes_per_batch",
                                "\(spec.training.classesPerBatch) exceeds the \(trainClasses) classes of the training split")
            }
            var config = spec.training
            config.model.inputDim = data.dimension
            // The probe is a subset of the evaluation set: a smaller set is analysed whole (result: estimators.probe).
            config.estimators.probeSize = min(config.estimators.probeSize, split.test.count)
            if config.model.parameterCount > Runner.maxParameters {
                throw SpecError(path: "spec.model", "\(config.model.parameterCount) parameters for \(data.dimension) input features exceeds the limit of \(Runner.maxParameters)")
            }
            let summary = DatasetSummary(
                name: data.name, rows: data.count, dim: data.dimension, classes: data.classCount,
                trainRows: split.train.count, testRows: split.test.count, trainClasses: trainClasses,
                testClasses: split.test.indicesByClass.filter { !$0.isEmpty }.count)
            logger.info("dataset ready", metadata: [
                "dataset": "\(summary.name)", "rows": "\(summary.rows)", "dim": "\(summary.dim)",
                "train_rows": "\(summary.trainRows)", "test_rows": "\(summary.testRows)", "classes": "\(summary.classes)",
            ])
            return PreparedTraining(config: config, split: split, summary: summary)
        } catch let e as DatasetError {
            throw SpecError(path: e.field ?? "spec.dataset", e.message)
        }
    }

    /// Runs `spec` to the end (or until `shouldStop`, or `stopAfter` steps), reporting to `sink`.
    public func run(
        _ spec: JobSpec, sink: ResultSink, stopAfter: Int? = nil,
        progress: @escaping (RunProgress) -> Void = { _ in }, shouldStop: @escaping () -> Bool = { false }
    ) throws -> RunOutcome {
        switch spec {
        case .train(let train): return try runTrain(train, json: spec.json, sink: sink, stopAfter: stopAfter, progress: progress, shouldStop: shouldStop)
        case .analyze(let analyze):
            var (result, points) = try runAnalyze(analyze, progress: progress, provisional: { try sink.recordProvisional($0) })
            result.artifacts = try Artifacts.save(Artifacts.of(points), to: sink)
            try sink.finish(.analyze(result))
            return .analyzed(result)
        case .sweep(let sweep):
            return try runSweep(sweep, sink: sink, progress: progress, shouldStop: shouldStop)
        }
    }

    /// The step-0 collapse risk of a train spec (nil with `warning.risk` off), from the untrained
    /// network's batches: a resumed run's are rebuilt from the seed.
    func stepZeroRisk(_ spec: TrainSpec, prepared: PreparedTraining, run: TrainingRun, resumed: Bool) throws -> CollapseRiskEstimate? {
        guard spec.warningRisk else { return nil }
        do {
            let untrained = resumed ? try TrainingRun(config: prepared.config, train: prepared.split.train, test: prepared.split.test) : run
            let features = try StepZeroFeatures(run: untrained)
            let risk = RiskModel.calibrated(for: features).estimate(features, miner: prepared.config.miner.rawValue)
            logger.info("collapse risk", metadata: ["risk": "\(risk.risk)", "mechanism_ratio": "\(risk.features.mechanismRatio)", "warns": "\(risk.warns)"])
            return risk
        } catch let e as TrainingError {
            throw RunError(e.message)
        } catch let e as EstimatorError {
            throw RunError("collapse risk: \(e.message)")
        } catch let e as DatasetError {
            throw RunError("collapse risk: \(e.description)")
        }
    }

    /// The run's per-step signals as the artifact `step_signals.json` (a JSON array), its name in a list.
    private func saveSignals(_ signals: [StepSignals], to sink: ResultSink) throws -> [String] {
        guard !signals.isEmpty else { return [] }
        try sink.saveArtifact("step_signals.json", [UInt8](try JSONValue.from(signals).serialized(pretty: false)))
        return ["step_signals.json"]
    }

    private func runTrain(
        _ spec: TrainSpec, json: JSONValue, sink: ResultSink, stopAfter: Int?,
        progress: @escaping (RunProgress) -> Void, shouldStop: @escaping () -> Bool
    ) throws -> RunOutcome {
        let started = DispatchTime.now().uptimeNanoseconds
        BLASThreads.set(spec.threads(share: threadShare))
        let prepared = try prepare(spec)
        let checkpoint = try sink.latestCheckpoint()
        if let checkpoint { logger.info("resuming", metadata: ["step": "\(checkpoint.step)"]) }
        let run: TrainingRun
        do {
            run = try TrainingRun(config: prepared.config, train: prepared.split.train, test: prepared.split.test, resumeFrom: checkpoint)
        } catch let e as TrainingError {
            throw RunError(e.message)
        }
        let risk = try stepZeroRisk(spec, prepared: prepared, run: run, resumed: checkpoint != nil)
        let monitor = TrainMonitor(latestP1: run.history.last?.eval.precisionAt1)
        var hooks = monitor.hooks(spec, run: run, sink: sink, total: prepared.config.steps, stopAfter: stopAfter, logger: logger,
                                  progress: progress, shouldStop: shouldStop)
        if let risk, risk.warns {
            hooks.stepZeroWarning = risk.warningReasons
        }
        let total = prepared.config.steps
        do {
            try run.run(hooks: hooks)
        } catch let e as TrainingError {
            throw RunError(e.message)
        }
        if let sinkError = monitor.sinkError { throw sinkError }
        let (collapsedAt, warnedAt) = (monitor.collapsedAt, monitor.warnedAt)
        if warnedAt != nil {
            // Stopped at a signals step: evaluate there, so the result ends with the verdict of that step.
            do { try run.evaluateIfNeeded() } catch let e as TrainingError { throw RunError(e.message) }
            if let record = run.history.last { try sink.recordEvaluation(record) }
        }
        guard run.step >= total || collapsedAt != nil || warnedAt != nil, let final = run.history.last else {
            // Stopped early (cancel, shutdown, --stop-after): keep the progress so the job can resume.
            try sink.saveCheckpoint(run.checkpoint())
            return .stopped(step: run.step)
        }
        let totalSeconds = Double(DispatchTime.now().uptimeNanoseconds - started) * 1e-9
        let result = TrainResult(
            spec: json, dataset: prepared.summary, history: run.history, final: final,
            timing: RunTiming(
                trainSeconds: run.trainSeconds,
                stepsPerSecond: run.trainSeconds > 0 ? Double(run.stepsThisProcess) / run.trainSeconds : 0,
                evalSeconds: run.evalSeconds, totalSeconds: totalSeconds,
                stepsThisProcess: run.stepsThisProcess),
            verdict: final.verdict, resumedFromStep: checkpoint?.step,
            artifacts: try Artifacts.save(Artifacts.of(run.probeSnapshot()), to: sink) + (try saveSignals(run.signals, to: sink)),
            stoppedOnCollapseAt: collapsedAt, warning: run.warning, stoppedOnWarningAt: warnedAt, onWarning: run.intervention,
            firstCollapseStep: run.signals.first { $0.step > 0 && $0.probe?.verdict == .collapsed }?.step, collapseRisk: risk,
            closestProbeSpread: run.signals.filter { $0.step > 0 }.compactMap { $0.probe?.spreadOverMargin }.min())
        try sink.finish(.train(result))
        logger.info("finished", metadata: [
            "steps_per_second": "\(Int(result.timing.stepsPerSecond))", "verdict": "\(result.verdict.rawValue)",
        ])
        return .finished(result)
    }
}

/// What the trainer's hooks see during a run: the sink's first error, where the run collapsed or warned
/// (when the spec stops there), and the latest P@1 for the progress line.
private final class TrainMonitor {
    var sinkError: Error?
    var collapsedAt: Int?
    var warnedAt: Int?
    var latestP1: Double?

    init(latestP1: Double?) { self.latestP1 = latestP1 }

    /// Hooks that report progress, hand evaluations, signals, warnings and checkpoints to `sink`, and
    /// stop the run on a sink error, a collapse or warning the spec stops on, `stopAfter` steps, or `shouldStop`.
    func hooks(_ spec: TrainSpec, run: TrainingRun, sink: ResultSink, total: Int, stopAfter: Int?, logger: Logger,
               progress: @escaping (RunProgress) -> Void, shouldStop: @escaping () -> Bool) -> TrainingHooks {
        var hooks = TrainingHooks()
        hooks.onStep = { [self] step, loss in progress(RunProgress(step: step, totalSteps: total, loss: loss, precisionAt1: latestP1)) }
        hooks.onEvaluation = { [self] record in
            if spec.stopOnCollapse && record.verdict == .collapsed && collapsedAt == nil { collapsedAt = record.step }
            latestP1 = record.eval.precisionAt1
            progress(RunProgress(step: record.step, totalSteps: total, loss: record.loss, precisionAt1: latestP1))
            logger.debug("evaluated", metadata: [
                "step": "\(record.step)", "loss": "\(record.loss)", "precision_at_1": "\(record.eval.precisionAt1)",
                "map_at_r": "\(record.eval.mapAtR)", "verdict": "\(record.verdict.rawValue)",
            ])
            do { try sink.recordEvaluation(record) } catch { sinkError = sinkError ?? error }
        }
        hooks.signalsEvery = spec.warningStride
        hooks.mechanismEvery = spec.warningMechanismEvery
        hooks.mechanism = { [logger] run in
            do { return try StepZeroFeatures.mechanismRatio(of: run) } catch {
                logger.warning("mechanism ratio not measured", metadata: ["step": "\(run.step)", "error": "\(error)"])
                return nil
            }
        }
        hooks.onSignals = { [self] signals in
            do { try sink.recordSignals(signals) } catch { sinkError = sinkError ?? error }
        }
        hooks.onWarning = { [self, run] warning in
            logger.info("collapse warning", metadata: ["step": "\(warning.step)", "reasons": "\(warning.reasons.map(\.code))"])
            if spec.stopsOnWarning { warnedAt = warning.step }
            // The trainer takes an action before announcing the warning: `run.intervention` is what it did.
            let response = spec.stopsOnWarning ? WarningIntervention.stopped(at: warning.step) : run.intervention
            do { try sink.recordWarning(warning, onWarning: response) } catch { sinkError = sinkError ?? error }
        }
        hooks.warningAction = spec.warningAction
        hooks.rewindEvery = spec.onWarningRewindEvery
        hooks.onIntervention = { intervention in
            logger.info("acted on the collapse warning", metadata: [
                "action": "\(intervention.action.rawValue)", "warned_at": "\(intervention.warnedAt)", "resumed_from": "\(intervention.resumedFrom)",
                "summary": "\(intervention.summary)",
            ])
        }
        hooks.checkpointEvery = spec.checkpointEvery
        hooks.onCheckpoint = { checkpoint in
            try sink.saveCheckpoint(checkpoint)
            logger.debug("checkpoint saved", metadata: ["step": "\(checkpoint.step)"])
        }
        let startStep = run.step
        hooks.shouldStop = { [self, run] in
            if sinkError != nil || collapsedAt != nil || warnedAt != nil { return true }
            if let stopAfter, run.step - startStep >= stopAfter { return true }
            return shouldStop()
        }
        return hooks
    }
}
