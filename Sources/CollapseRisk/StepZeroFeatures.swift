// What the theory and the data say about a training run before it takes a step: the mechanism ratio
// on a few of its own PK batches, the batch size against the embedding dimension, how far inside the
// margin the untrained batches' negatives sit, the learning rate and the margin itself.
import Foundation
import Datasets
import Linalg
import Trainer
import Triplets

/// The step-0 features of one training configuration.
public struct StepZeroFeatures: Sendable, Codable, Equatable {
    /// Median over the drawn batches of `MechanismRatio.ratio`, and each batch's.
    public var mechanismRatio: Double
    public var batches: [MechanismRatio]
    /// B = P·K over the embedding dimension n, and both.
    public var batchOverDimension: Double
    public var batchSize: Int
    public var embeddingDim: Int
    /// Median over the batches of batch-hard mining's mean (d⁻ − d⁺) over the batch's mean pairwise distance.
    public var gapOverSpread: Double
    /// The optimiser's base learning rate, and its kind (Adam's steps do not scale with it as SGD's do).
    public var learningRate: Double
    public var optimizer: String
    /// The loss's margin α in its distance units (√α for squared distances). The collapse the risk
    /// predicts is the verdict's, a spread under 0.25 α, so the same network and batches are nearer it
    /// at a larger α. Nil in features stored before it was recorded, which were all at α = 0.2.
    public var margin: Double?
    /// The run's first step, taken and undone (train runs; nil for a monitored run, whose network
    /// isomine does not have).
    public var firstStep: FirstStep?

    enum CodingKeys: String, CodingKey {
        case mechanismRatio = "mechanism_ratio"
        case batches
        case batchOverDimension = "batch_over_dimension"
        case batchSize = "batch_size"
        case embeddingDim = "embedding_dim"
        case gapOverSpread = "gap_over_spread"
        case learningRate = "learning_rate"
        case optimizer
        case margin
        case firstStep = "first_step"
    }

    /// Batches drawn (their own seeded stream: training's sampling is untouched).
    public static let batchCount = 3

    /// The features of `run` at initialisation (call before it trains): `batchCount` PK batches of its
    /// training split, embedded by the untrained network. `iterations` bounds the f* search (0: by size).
    public init(run: TrainingRun, iterations: Int = 0) throws {
        let config = run.config
        try self.init(batches: try StepZeroFeatures.batches(of: run), loss: config.loss, embeddingDim: config.model.embeddingDim,
                      learningRate: config.optimizer.learningRate, optimizer: config.optimizer.kind.rawValue, iterations: iterations)
        firstStep = try FirstStep(run: run)
    }

    /// The mechanism ratio of `run` as it is now: the median over the same `batchCount` batches the
    /// step-0 features read, embedded by the network at its current step (so a run's readings differ
    /// only by what training did to the network).
    public static func mechanismRatio(of run: TrainingRun, iterations: Int = 0) throws -> Double {
        median(try batches(of: run).map { try MechanismRatio(points: $0.points, labels: $0.labels, iterations: iterations).ratio })
    }

    /// `batchCount` PK batches of the run's training split (their own seeded stream: training's
    /// sampling is untouched), embedded by the network as it is.
    static func batches(of run: TrainingRun) throws -> [(points: Matrix<Double>, labels: [Int])] {
        let config = run.config
        var rng = SeededRNG(seed: config.seed, stream: 0x5215_0000)
        var sampler = try PKSampler(labels: run.train.labels, classesPerBatch: config.classesPerBatch,
                                    samplesPerClass: config.samplesPerClass, rng: &rng)
        var rows = [Int](repeating: 0, count: sampler.batchSize)
        var batches = [(points: Matrix<Double>, labels: [Int])]()
        for _ in 0..<batchCount {
            sampler.next(into: &rows, rng: &rng)
            batches.append((run.embed(run.train.features.rows(rows)).converted(to: Double.self), rows.map { run.train.labels[$0] }))
        }
        return batches
    }

    /// The features of batches an untrained network embedded (a monitor's first batches in a user's
    /// loop, or a run's own): each batch is one B = P·K mining batch. Throws when a batch cannot be
    /// measured (fewer than two classes, or no class with two points).
    public init(batches: [(points: Matrix<Double>, labels: [Int])], loss: TripletLossConfig, embeddingDim: Int,
                learningRate: Double, optimizer: String, iterations: Int = 0) throws {
        var ratios = [MechanismRatio](), gaps = [Double]()
        for batch in batches {
            ratios.append(try MechanismRatio(points: batch.points, labels: batch.labels, iterations: iterations))
            let stats = tripletLoss(batch.points, labels: batch.labels, miner: .batchHard, config: loss)
            let spread = meanPairwiseDistance(squaredDistances: exactPairwiseSquaredDistances(batch.points))
            let gap = stats.triplets > 0 ? (stats.negativeDistanceSum - stats.positiveDistanceSum) / Double(stats.triplets) : 0
            gaps.append(spread > 0 ? gap / spread : 0)
        }
        self.batches = ratios
        mechanismRatio = StepZeroFeatures.median(ratios.map(\.ratio))
        gapOverSpread = StepZeroFeatures.median(gaps)
        batchSize = batches.first?.points.rows ?? 0
        self.embeddingDim = embeddingDim
        batchOverDimension = Double(batchSize) / Double(max(embeddingDim, 1))
        self.learningRate = learningRate
        self.optimizer = optimizer
        margin = loss.marginDistance
    }

    static func median(_ v: [Double]) -> Double {
        let s = v.sorted()
        guard !s.isEmpty else { return 0 }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
