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
    }

    /// The values as metric rows (name, value), for the database and charts.
    public var metricRows: [(String, Double)] {
        [("signal_loss_ratio", lossRatio), ("signal_active_fraction", activeFraction), ("signal_gap", gap),
         ("signal_batch_spread_ratio", batchSpreadRatio), ("signal_output_norm", outputNorm), ("signal_effective_rank", effectiveRank)]
    }
}

extension TripletObjective {
    /// Mean pairwise Euclidean distance of the batch last evaluated, from the squared distances the
    /// evaluation already computed (no second pass over the embeddings).
    var meanPairwiseDistance: Double {
        let b = batch, sq = squared.pointer
        var spread = 0.0
        for i in 0..<b { for j in (i + 1)..<b { spread += Double(max(sq[i * b + j], 0)).squareRoot() } }
        return spread / Double(max(b * (b - 1) / 2, 1))
    }
}

extension TrainingRun {
    /// The signals of the batch now in the workspace, whose objective gave `stats`.
    func stepSignals(_ stats: TripletLossStats) -> StepSignals {
        let b = workspace.batch, n = config.model.embeddingDim
        let spread = objective.meanPairwiseDistance
        if baselineBatchSpread == 0 { baselineBatchSpread = spread }
        let e = Matrix<Double>(rows: b, cols: n, storage: (0..<(b * n)).map { Double(workspace.embeddings[$0]) })
        let collapsed = config.loss.collapsedValue
        let pos = stats.triplets > 0 ? stats.positiveDistanceSum / Double(stats.triplets) : 0
        let neg = stats.triplets > 0 ? stats.negativeDistanceSum / Double(stats.triplets) : 0
        var norm = 0.0
        for i in 0..<b { norm += Double(workspace.outputNorms[i]) }
        return StepSignals(
            step: step, loss: stats.loss, lossRatio: collapsed > 0 ? stats.loss / collapsed : 0,
            activeFraction: stats.triplets > 0 ? Double(stats.active) / Double(stats.triplets) : 0,
            meanPositive: pos, meanNegative: neg, gap: neg - pos,
            batchSpread: spread, batchSpreadRatio: baselineBatchSpread > 0 ? spread / baselineBatchSpread : 0,
            outputNorm: norm / Double(b), effectiveRank: effectiveRank(e))
    }
}
