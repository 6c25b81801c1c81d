// One evaluation of a training run: training statistics, retrieval quality, the collapse signal and the estimators.
import CollapseSignals
import Retrieval
import Estimators

/// Means of training-step statistics since the previous evaluation.
public struct TrainingStats: Sendable, Codable, Equatable {
    /// Mean over mined triplets of d(a,p), in the loss's distance.
    public var meanPositiveDistance: Double
    /// Mean over mined triplets of d(a,n).
    public var meanNegativeDistance: Double
    /// Mean ‖f(x)‖ of the network output before L2 normalisation.
    public var meanEmbeddingNorm: Double
    /// Mean mined triplets per step.
    public var meanTriplets: Double
    /// Learning rate of the last step.
    public var learningRate: Double

    enum CodingKeys: String, CodingKey {
        case meanPositiveDistance = "mean_positive_distance"
        case meanNegativeDistance = "mean_negative_distance"
        case meanEmbeddingNorm = "mean_embedding_norm"
        case meanTriplets = "mean_triplets"
        case learningRate = "learning_rate"
    }
}

/// How collapsed an embedding looks: healthy < partial < collapsed (one type for every verdict).
public typealias Verdict = VerdictLevel

/// The first collapse signal: spread of the evaluation embeddings relative to step 0, and the loss stuck at its collapsed value.
public struct CollapseSignal: Sendable, Codable, Equatable {
    /// Mean pairwise Euclidean distance of the evaluation embeddings.
    public var meanPairwiseDistance: Double
    /// `meanPairwiseDistance` over its value at step 0.
    public var relativeSpread: Double
    /// The training loss the embedding would have if fully collapsed (α for hinge, softplus(α) for soft).
    public var collapsedLoss: Double
    /// Whether the mean training loss is within 1e-3 of `collapsedLoss`.
    public var lossAtMargin: Bool

    enum CodingKeys: String, CodingKey {
        case meanPairwiseDistance = "mean_pairwise_distance"
        case relativeSpread = "relative_spread"
        case collapsedLoss = "collapsed_loss"
        case lossAtMargin = "loss_at_margin"
    }
}

/// Everything measured at one evaluation step.
public struct EvaluationRecord: Sendable, Codable, Equatable {
    /// Training steps completed.
    public var step: Int
    /// Mean training loss since the previous evaluation (at step 0: one batch at initialisation).
    public var loss: Double
    /// Fraction of mined triplets violating the margin, over the same steps.
    public var activeFraction: Double
    public var stats: TrainingStats
    public var eval: RetrievalMetrics
    public var collapse: CollapseSignal
    /// The paper's estimators on the fixed probe of the evaluation set (nil when disabled).
    public var estimators: EstimatorReport?
    /// The verdict of this evaluation, its reasons and the failures it names (the rule is `Diagnosis`).
    public var diagnosis: Diagnosis
    /// `diagnosis.verdict`.
    public var verdict: Verdict
    /// The collapse-warning signals of the probe as a checkpoint (what a series step of this embedding
    /// would read, against the probe at step 0; nil without estimators), so sweeps can measure the
    /// series warning on the same runs.
    public var checkpointSignals: StepSignals?

    enum CodingKeys: String, CodingKey {
        case step, loss
        case activeFraction = "active_fraction"
        case stats, eval, collapse, estimators, diagnosis, verdict
        case checkpointSignals = "checkpoint_signals"
    }
}
