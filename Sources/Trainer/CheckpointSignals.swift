// The collapse-warning signals of one checkpoint's embedding (a series step, or an analysis with a
// spread reference): the trainer's per-step signals computed on batches drawn from the analysed
// probe the way the trainer draws them, so the warning rule reads them on the same footing.
import CollapseSignals
import Datasets
import Linalg
import Triplets

extension StepSignals {
    /// Batches drawn per checkpoint and their shape: P = min(10, classes) classes × K = 16 points, the
    /// middle of the batch shapes the rule was calibrated on (10 × 4 … 10 × 64); a class with fewer
    /// than K points is drawn with replacement, as the trainer's sampler does.
    public static let checkpointBatches = 16, checkpointClasses = 10, checkpointPerClass = 16

    /// The signals of a checkpoint's probe `points` at series step `step`: loss, active fraction, d⁺,
    /// d⁻ and the batch spread are batch-hard mining's with hinge margin `margin`, averaged over the
    /// drawn batches; `spreadRatio` is the probe's mean pairwise distance over its reference (the
    /// baseline step's, or `reference_scale`), standing for the batch's spread against step 0's.
    /// Nil when fewer than two classes have points.
    public static func checkpoint(step: Int, points: Matrix<Double>, labels: [Int], margin: Double, spreadRatio: Double,
                                  effectiveRank: Double, seed: UInt64) -> StepSignals? {
        // Compact class indices for the sampler.
        var index = [Int: Int]()
        let compact = labels.map { l -> Int in
            if let i = index[l] { return i }
            index[l] = index.count
            return index.count - 1
        }
        guard index.count >= 2, points.rows == labels.count else { return nil }
        var rng = SeededRNG(seed: seed)
        let p = min(checkpointClasses, index.count)
        guard var sampler = try? PKSampler(labels: compact, classesPerBatch: p, samplesPerClass: checkpointPerClass, rng: &rng) else { return nil }
        var rows = [Int](repeating: 0, count: sampler.batchSize)
        // One objective for every batch, as the trainer has: its squared distances give the spread too.
        let objective = TripletObjective<Double>(config: TripletLossConfig(kind: .hinge, margin: margin, distance: .euclidean),
                                                 miner: .batchHard, batch: rows.count, dim: points.cols)
        var loss = 0.0, active = 0, triplets = 0, positive = 0.0, negative = 0.0, spread = 0.0
        for _ in 0..<checkpointBatches {
            sampler.next(into: &rows, rng: &rng)
            let stats = objective.evaluate(points.rows(rows), labels: rows.map { compact[$0] })
            loss += stats.loss
            active += stats.active
            triplets += stats.triplets
            positive += stats.positiveDistanceSum
            negative += stats.negativeDistanceSum
            spread += objective.meanPairwiseDistance
        }
        let b = Double(checkpointBatches)
        let pos = triplets > 0 ? positive / Double(triplets) : 0, neg = triplets > 0 ? negative / Double(triplets) : 0
        return StepSignals(
            step: step, loss: loss / b, lossRatio: margin > 0 ? loss / b / margin : 0,
            activeFraction: triplets > 0 ? Double(active) / Double(triplets) : 0,
            meanPositive: pos, meanNegative: neg, gap: neg - pos,
            batchSpread: spread / b, batchSpreadRatio: spreadRatio,
            outputNorm: meanRowNorm(points), effectiveRank: effectiveRank)
    }
}
