// The per-step collapse signals of a training run: what an early warning reads between evaluations.
// Everything but the batch's spread and effective rank comes with the step for free; those two are
// computed only at the recording stride.
import Estimators
import Linalg

/// The signals of one training step's batch.
public struct StepSignals: Sendable, Codable, Equatable {
    public var step: Int
    /// The step's loss and the loss every triplet has at collapse (α for hinge, softplus(α) for soft): their ratio.
    public var loss: Double
    public var lossRatio: Double
    /// Fraction of mined triplets violating the margin.
    public var activeFraction: Double
    /// Mean d(a, p) and d(a, n) over mined triplets (in the loss's distance) and d⁻ − d⁺.
    public var meanPositive: Double
    public var meanNegative: Double
    public var gap: Double
    /// Mean pairwise distance of the batch's embeddings, and over the first recorded batch's (step 0).
    public var batchSpread: Double
    public var batchSpreadRatio: Double
    /// Mean output norm before normalisation.
    public var outputNorm: Double
    /// Effective rank (exp of the spectral entropy) of the batch embedding's covariance.
    public var effectiveRank: Double
    /// The verdict's rule on the run's fixed probe of at most `probeSize` evaluation rows (training
    /// runs; nil for a checkpoint's signals and for records written before it existed): the collapse
    /// indicator that dates a run's first collapse at the signal stride.
    public var probe: ProbeVerdict?
    /// The mechanism ratio (`CollapseRisk.MechanismRatio`) on the step-0 risk's batches as the network
    /// embeds them at this step: the median over the batches (records at `warning.mechanism_every`; nil
    /// at the others).
    public var mechanismRatio: Double?

    /// Rows of the evaluation split in the probe judged at every signal record.
    public static let probeSize = 192

    enum CodingKeys: String, CodingKey {
        case step, loss
        case lossRatio = "loss_ratio"
        case activeFraction = "active_fraction"
        case meanPositive = "mean_positive"
        case meanNegative = "mean_negative"
        case gap
        case batchSpread = "batch_spread"
        case batchSpreadRatio = "batch_spread_ratio"
        case outputNorm = "output_norm"
        case effectiveRank = "effective_rank"
        case probe
        case mechanismRatio = "mechanism_ratio"
    }

    public init(step: Int, loss: Double, lossRatio: Double, activeFraction: Double, meanPositive: Double, meanNegative: Double,
                gap: Double, batchSpread: Double, batchSpreadRatio: Double, outputNorm: Double, effectiveRank: Double) {
        self.step = step
        self.loss = loss
        self.lossRatio = lossRatio
        self.activeFraction = activeFraction
        self.meanPositive = meanPositive
        self.meanNegative = meanNegative
        self.gap = gap
        self.batchSpread = batchSpread
        self.batchSpreadRatio = batchSpreadRatio
        self.outputNorm = outputNorm
        self.effectiveRank = effectiveRank
    }

    /// The values as metric rows (name, value), for the database and charts.
    public var metricRows: [(String, Double)] {
        [("signal_loss_ratio", lossRatio), ("signal_active_fraction", activeFraction), ("signal_gap", gap),
         ("signal_batch_spread_ratio", batchSpreadRatio), ("signal_output_norm", outputNorm), ("signal_effective_rank", effectiveRank)]
            + (mechanismRatio.map { [("signal_mechanism_ratio", $0)] } ?? [])
    }
}
