// The triplet loss of a whole labelled set taken as one batch (for analyze jobs and reports).
import Linalg

/// Loss statistics of `points` as a single batch under `miner` (Double precision, no gradient).
public func tripletLoss(_ points: Matrix<Double>, labels: [Int], miner: Miner, config: TripletLossConfig, seed: UInt64 = 0) -> TripletLossStats {
    TripletObjective<Double>(config: config, miner: miner, batch: points.rows, dim: points.cols).evaluate(points, labels: labels, seed: seed)
}

extension TripletObjective<Double> {
    /// Loss statistics of `points` (exactly `batch` rows of `dim`) with `labels`, no gradient; the
    /// objective keeps the batch's squared distances (`meanPairwiseDistance` reads them).
    public func evaluate(_ points: Matrix<Double>, labels: [Int], seed: UInt64 = 0) -> TripletLossStats {
        var rng = SeededRNG(seed: seed)
        return points.storage.withUnsafeBufferPointer { p in
            labels.withUnsafeBufferPointer { l in
                evaluate(embeddings: p.baseAddress!, labels: l.baseAddress!, rng: &rng, gradient: nil)
            }
        }
    }
}
