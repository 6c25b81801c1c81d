// Batch-all's hinge loss from per-pair counts: every triplet of the batch without listing one.
import Linalg

extension TripletObjective {
    /// Whether `evaluate` takes batch-all's hinge loss from per-pair counts (`evaluateEveryTriplet`).
    /// The soft loss weighs each triplet by its own sigmoid, which no count gives, so it lists them.
    var countsEveryTriplet: Bool { miner == .batchAll && config.kind == .hinge && !enumeratesEveryTriplet }

    /// Batch-all with hinge loss — loss, statistics and gradient — without its B·(K − 1)·(B − K) triplets.
    ///
    /// Why it is the same sum: a triplet (a, p, n) is active when d_an < d_ap + α; it then adds
    /// (d_ap + α) − d_an to the loss and +1, −1 to ∂loss/∂d_ap, ∂loss/∂d_an (inactive ones add 0 to
    /// both). Grouped by pair, (a, p) carries c_ap = #{n : d_an < d_ap + α} and the loss terms
    /// c_ap·(d_ap + α) − Σ of those d_an; (a, n) carries −c_an with c_an = #{p : d_ap + α > d_an};
    /// Σ c_ap = Σ c_an = the active count, the reducer's denominator (PML's AvgNonZeroReducer).
    ///
    /// How: per anchor, its K − 1 thresholds d_ap + α sorted; each negative's g = #{p : d_ap + α ≤ d_an}
    /// by binary search gives c_an = (K − 1) − g, and the negative counts towards c_ap of exactly the
    /// positives at sorted positions ≥ g — so a histogram of g (count and Σ d_an per value) and its
    /// running sums give every c_ap and loss term. O(B log K) per anchor, O(B² log K) a batch, as
    /// semi-hard mining; the list would be B·(K − 1)·(B − K) triplets (2.9 million for 10 × 32).
    ///
    /// The thresholds are rounded once and compared the same way in both counts, so the two sums count
    /// the same triplets. Triplets exactly on the margin have zero loss either way.
    func evaluateEveryTriplet(
        distances d: UnsafePointer<T>, labels: UnsafePointer<Int>, embeddings e: UnsafePointer<T>,
        gradient: UnsafeMutablePointer<T>?
    ) -> TripletLossStats {
        countedEvaluation(embeddings: e, gradient: gradient) { stats, sum in
            let n = batch
            let alpha = T(config.margin)
            let gapSums = self.gapSums.pointer
            for a in 0..<n {
                let row = d + a * n
                positiveOrder.removeAll(keepingCapacity: true)
                for j in 0..<n where j != a && labels[j] == labels[a] { positiveOrder.append(Int32(j)) }
                // m positives and r = n − 1 − m negatives (every other point of the batch is one or the other).
                let m = positiveOrder.count, r = n - 1 - m
                guard m > 0, r > 0 else { continue }
                positiveOrder.withUnsafeMutableBufferPointer { pos in
                    gapCounts.withUnsafeMutableBufferPointer { counts in
                        heapSort(pos) { row[Int($0)] < row[Int($1)] }
                        for g in 0...m { counts[g] = 0; gapSums[g] = 0 }
                        for q in 0..<n where labels[q] != labels[a] {
                            let dq = row[q]
                            // g: the thresholds d_ap + α at or below d_an (a prefix of the sorted positives).
                            var lo = 0, hi = m
                            while lo < hi {
                                let mid = (lo + hi) / 2
                                if dq < row[Int(pos[mid])] + alpha { hi = mid } else { lo = mid + 1 }
                            }
                            counts[lo] += 1
                            gapSums[lo] += Double(dq)
                            stats.negativeDistanceSum += Double(m) * Double(dq)
                            if lo < m, gradient != nil { addPairWeight(a, q, -T(m - lo), distances: d) }
                        }
                        stats.triplets += m * r
                        // The positive at sorted position i: the negatives of gaps 0 … i.
                        var c = 0, nearer = 0.0
                        for i in 0..<m {
                            let p = Int(pos[i])
                            c += Int(counts[i])
                            nearer += gapSums[i]
                            stats.positiveDistanceSum += Double(r) * Double(row[p])
                            guard c > 0 else { continue }
                            stats.active += c
                            sum += Double(c) * (Double(row[p]) + Double(config.margin)) - nearer
                            if gradient != nil { addPairWeight(a, p, T(c), distances: d) }
                        }
                    }
                }
            }
            return stats.active
        }
    }

    /// A loss computed from per-pair counts (`evaluateEveryTriplet`, `evaluateMarginBand`): W cleared,
    /// `accumulate` adds the triplets' statistics, their loss terms to the sum and their unscaled counts
    /// to W (when there is a gradient), and returns the reducer's denominator; the loss and gradient are
    /// then the means over it.
    func countedEvaluation(
        embeddings e: UnsafePointer<T>, gradient: UnsafeMutablePointer<T>?,
        _ accumulate: (_ stats: inout TripletLossStats, _ sum: inout Double) -> Int
    ) -> TripletLossStats {
        var stats = TripletLossStats(loss: 0, triplets: 0, active: 0, positiveDistanceSum: 0, negativeDistanceSum: 0)
        var sum = 0.0
        if gradient != nil { clearPairWeights() }
        let denominator = accumulate(&stats, &sum)
        stats.loss = denominator > 0 ? sum / Double(denominator) : 0
        guard let gradient else { return stats }
        gradient.update(repeating: 0, count: batch * dim)
        guard denominator > 0 else { return stats }
        applyPairWeights(embeddings: e, scale: 1 / T(denominator), gradient: gradient)
        return stats
    }
}
