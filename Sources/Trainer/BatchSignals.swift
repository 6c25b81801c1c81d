// The per-step signals of one batch, assembled once for the trainer (its workspace's batch) and for a
// batch given from outside (a monitor's, read in a user's own training loop): the same fields from the
// same triplet statistics, so a monitor's rows and a train run's records mean the same thing.
import CollapseSignals
import Estimators
import Linalg
import Triplets

extension StepSignals {
    /// The signals of a batch whose triplet objective gave `stats`: `collapsedLoss` is the loss every
    /// triplet has at collapse (α for hinge), `spread` the batch's mean pairwise distance and
    /// `referenceSpread` the first recorded batch's (0: none yet, the ratio is 0).
    public init(step: Int, stats: TripletLossStats, collapsedLoss: Double, spread: Double, referenceSpread: Double,
                outputNorm: Double, effectiveRank: Double) {
        let pos = stats.triplets > 0 ? stats.positiveDistanceSum / Double(stats.triplets) : 0
        let neg = stats.triplets > 0 ? stats.negativeDistanceSum / Double(stats.triplets) : 0
        self.init(step: step, loss: stats.loss, lossRatio: collapsedLoss > 0 ? stats.loss / collapsedLoss : 0,
                  activeFraction: stats.triplets > 0 ? Double(stats.active) / Double(stats.triplets) : 0,
                  meanPositive: pos, meanNegative: neg, gap: neg - pos,
                  batchSpread: spread, batchSpreadRatio: referenceSpread > 0 ? spread / referenceSpread : 0,
                  outputNorm: outputNorm, effectiveRank: effectiveRank)
    }

    /// The signals of one batch of embeddings as a monitor reads it in the user's loop: batch-hard
    /// mining with the hinge triplet loss at margin `margin` on Euclidean distances (PML's
    /// `TripletMarginLoss` with a hardest-pair miner; the paper's hardest-triplet mechanism), the
    /// batch's mean pairwise distance against `referenceSpread` (the monitor's first batch; 0 for the
    /// first itself), the mean row norm of the embeddings as given and their effective rank. With
    /// `normalize` (the loss L2-normalises the embeddings, as the trainer's `model.normalize` does) every
    /// signal but the output norm is read on the normalised rows; the output norm stays the rows' as
    /// given, as the trainer's is the network output's before normalisation.
    /// `clients/python/isomine/signals.py` computes the same numbers (a test holds them within 1e-6).
    public static func batch(step: Int, points given: Matrix<Double>, labels: [Int], margin: Double, referenceSpread: Double,
                             normalize: Bool = false) -> StepSignals {
        let outputNorm = meanRowNorm(given)
        let points = normalize ? rowsNormalized(given) : given
        let objective = TripletObjective<Double>(config: TripletLossConfig(kind: .hinge, margin: margin, distance: .euclidean),
                                                 miner: .batchHard, batch: points.rows, dim: points.cols)
        let stats = objective.evaluate(points, labels: labels)
        let spread = objective.meanPairwiseDistance
        return StepSignals(step: step, stats: stats, collapsedLoss: margin, spread: spread,
                           referenceSpread: referenceSpread > 0 ? referenceSpread : spread,
                           outputNorm: outputNorm, effectiveRank: Estimators.effectiveRank(points))
    }
}
