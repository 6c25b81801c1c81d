// Everything that determines a training run, as the trainer sees it (the job spec maps onto it).
import Linalg
import Triplets

/// A complete, validated description of one training run.
public struct TrainingConfig: Sendable, Codable, Equatable {
    public var model: MLPShape
    public var loss: TripletLossConfig
    public var miner: Miner
    public var classesPerBatch: Int
    public var samplesPerClass: Int
    public var optimizer: OptimizerConfig
    public var steps: Int
    public var evalEvery: Int
    public var seed: UInt64
    public var estimators: EstimatorSettings

    public init(model: MLPShape, loss: TripletLossConfig, miner: Miner, classesPerBatch: Int, samplesPerClass: Int,
                optimizer: OptimizerConfig, steps: Int, evalEvery: Int, seed: UInt64,
                estimators: EstimatorSettings = EstimatorSettings()) {
        self.model = model
        self.loss = loss
        self.miner = miner
        self.classesPerBatch = classesPerBatch
        self.samplesPerClass = samplesPerClass
        self.optimizer = optimizer
        self.steps = steps
        self.evalEvery = evalEvery
        self.seed = seed
        self.estimators = estimators
    }

    public var batchSize: Int { classesPerBatch * samplesPerClass }

    /// Steps at which the run evaluates: 0, every `evalEvery`, and the last step.
    public func isEvaluationStep(_ step: Int) -> Bool {
        step == 0 || step == steps || (evalEvery > 0 && step % evalEvery == 0)
    }
}

/// The estimator block computed at every evaluation.
public struct EstimatorSettings: Sendable, Codable, Equatable {
    public var enabled: Bool
    /// Points of the evaluation set analysed (a seeded stratified probe; at most the set's size).
    public var probeSize: Int
    /// f* descent iterations per start at every evaluation but the last (0: by size).
    public var iterations: Int
    /// f* descent iterations per start at the last evaluation (the one the result's verdict, report
    /// and artifacts come from), where tight brackets matter most (0: by size).
    public var finalIterations: Int

    public init(enabled: Bool = true, probeSize: Int = 256, iterations: Int = 150, finalIterations: Int = 600) {
        self.enabled = enabled
        self.probeSize = probeSize
        self.iterations = iterations
        self.finalIterations = finalIterations
    }

    enum CodingKeys: String, CodingKey { case enabled, probeSize, iterations, finalIterations }

    /// Checkpoints written before `finalIterations` existed decode with its default.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try c.decode(Bool.self, forKey: .enabled)
        probeSize = try c.decode(Int.self, forKey: .probeSize)
        iterations = try c.decode(Int.self, forKey: .iterations)
        finalIterations = try c.decodeIfPresent(Int.self, forKey: .finalIterations) ?? 600
    }
}

/// RNG streams derived from the run seed, so each consumer is independent of the others.
enum RandomStream: UInt64 {
    case initialisation = 1
    case sampling = 2
    case probe = 3
}
