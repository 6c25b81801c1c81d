// The `train` job spec: parsed and validated from JSON in one place, and echoed back normalised.
import Datasets
import Linalg
import Trainer
import Triplets

/// A validated train job.
public struct TrainSpec: Sendable, Equatable {
    public var name: String?
    /// The queue the job goes to (nil: "default").
    public var queue: String?
    public var dataset: DatasetSource
    public var split: SplitRule
    public var standardize: Bool
    public var training: TrainingConfig
    /// Write a checkpoint every this many steps (0: never).
    public var checkpointEvery: Int
    /// Threads this job computes with (nil: the job's share of the machine; see `threads(share:)`).
    public var threads: Int?
    /// The older name of `threads` (nil unless a spec gave it).
    public var blasThreads: Int?

    /// The threads to compute with: `threads`, else `blas_threads`, else `share` (the job's share of the machine).
    public func threads(share: Int) -> Int { threads ?? blasThreads ?? max(1, share) }
    /// End the run (as succeeded, verdict collapsed) at the first evaluation whose verdict is collapsed.
    public var stopOnCollapse = false
    /// Record the per-step collapse signals at step 0 and every this many steps.
    public var warningStride = 1
    /// Measure the step-0 collapse risk before training and warn at step 0 when it reaches its threshold.
    public var warningRisk = true
    /// Also measure the mechanism ratio at the signal records of every this many steps (0: never).
    public var warningMechanismEvery = 0
    /// End the run (as succeeded, with its verdict at that step) when the signals first warn of collapse.
    public var stopOnWarning = false
    /// `on_warning`: the action, the miner to switch to, the factor to lower the rate by, the rewind interval.
    public var onWarning = OnWarningAction.none
    public var onWarningMiner = Miner.collapseAware
    public var onWarningFactor = 0.1
    public var onWarningRewindEvery = 0

    /// Whether the run ends when the warning fires (`stop_on_warning` or `on_warning.action` `stop`).
    public var stopsOnWarning: Bool { stopOnWarning || onWarning == .stop }

    /// The trainer's action on the warning (nil for none and for `stop`, which the runner takes).
    public var warningAction: WarningAction? {
        switch onWarning {
        case .none, .stop: return nil
        case .switchMiner: return .switchMiner(onWarningMiner)
        case .lowerLearningRate: return .lowerLearningRate(factor: onWarningFactor)
        }
    }

    /// Largest batch (P × K) accepted.
    static let maxBatch = 4096
    /// Most triplets batch-all may list from one batch with the soft loss: every anchor with each of its
    /// K − 1 positives and B − K negatives, B·(K − 1)·(B − K) of them, 12 bytes each in the triplet
    /// buffer. 2²² is the most any batch of 256 mines (K = 128: 4,161,536). With the hinge loss batch-all
    /// counts its triplets per pair instead of listing them (`TripletObjective.evaluateEveryTriplet`),
    /// so it takes every batch the other miners take.
    static let maxBatchAllTriplets = 1 << 22

    /// The triplets batch-all mines from a P × K batch.
    static func batchAllTriplets(classesPerBatch p: Int, samplesPerClass k: Int) -> Int {
        let b = p * k
        return b * (k - 1) * (b - k)
    }

    /// Why batch-all cannot take a P × K batch with `loss` (nil: it can); P and K at most `maxBatch`.
    static func batchAllRefusal(classesPerBatch p: Int, samplesPerClass k: Int, loss: TripletLossKind) -> String? {
        guard loss == .soft else { return nil }
        let n = batchAllTriplets(classesPerBatch: p, samplesPerClass: k)
        guard n > maxBatchAllTriplets else { return nil }
        return "batch-all with the soft loss would list \(n) triplets from a \(p) × \(k) batch (B·(K − 1)·(B − K)), more than \(maxBatchAllTriplets); use fewer classes_per_batch or samples_per_class, or the hinge loss (which counts them without a list)"
    }

    /// Parses the fields of a train spec (the reader is the top-level object; `kind` already read).
    static func parse(_ r: SpecReader) throws -> TrainSpec {
        var spec = TrainSpec.initial
        try schema.decode(r, into: &spec)
        return spec
    }

    /// The spec with every default filled in, as JSON (what result.json echoes; parses back to the same spec).
    public var json: JSONValue { .object(TrainSpec.schema.encode(self)) }

    /// The values fields are read into (each then set from the spec or from its default).
    static let initial = TrainSpec(
        dataset: .digits, split: .byInstance(testFraction: 0.3), standardize: true,
        training: TrainingConfig(model: MLPShape(inputDim: 0, hidden: [256, 256], embeddingDim: 64, normalize: true),
                                 loss: TripletLossConfig(), miner: .batchHard, classesPerBatch: 8, samplesPerClass: 16,
                                 optimizer: OptimizerConfig(), steps: 2000, evalEvery: 200, seed: 0),
        checkpointEvery: 0)
}
