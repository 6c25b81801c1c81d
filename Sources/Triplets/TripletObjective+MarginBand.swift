// Collapse-aware's protected step with the hinge loss from per-pair counts: its margin band without listing it.
import Linalg

extension TripletObjective {
    /// Whether `evaluate` counts collapse-aware's margin band on a mostly inverted batch
    /// (`evaluateMarginBand`) instead of listing it. The soft loss weighs each triplet by its own
    /// sigmoid, which no count gives, so it lists them.
    var countsMarginBand: Bool { miner == .collapseAware && config.kind == .hinge && !enumeratesEveryTriplet }

    /// Collapse-aware's step on a mostly inverted batch — loss, statistics and gradient — from
    /// batch-hard's triplets in `triplets` (one per anchor), with the triplets `Miner.mine` would list
    /// counted per pair instead. `triplets` is empty afterwards.
    ///
    /// Why it is the same sum: an ordered anchor keeps batch-hard's one triplet. An inverted anchor's
    /// positive p takes every negative q of its band d_ap < d_aq < d_ap + α; each such triplet is
    /// active (d_ap − d_aq + α > 0) and adds (d_ap + α) − d_aq to the loss, +1 to ∂loss/∂d_ap and −1 to
    /// ∂loss/∂d_aq. So (a, p) carries c_p = the size of its band and the loss terms c_p·(d_ap + α) − the
    /// band's Σ d_aq; (a, q) carries −c_q, c_q = #{p : q in p's band}. A positive whose band is empty
    /// keeps semi-hard's one triplet. The reducer is the mean over every mined triplet (Σ c_p plus the
    /// single triplets), as for the list.
    ///
    /// How: the anchor's positives sorted by distance (`semiHard(anchor:…)`, which also gives the
    /// fallbacks). A negative q is in the band of exactly the positives at sorted positions [g₂, g₁):
    /// g₁ = #{p : d_ap < d_aq}, g₂ = #{p : d_ap + α ≤ d_aq} (both prefixes: g₁ from semi-hard's own search,
    /// g₂ by one more binary search; d_ap + α is rounded as the list rounds it, so both ways take the same
    /// triplets). A difference array over the positions (count and Σ d_aq) and its running sums give
    /// every c_p and loss term. O(B log K) per inverted anchor, where the list is up to
    /// (K − 1)·(B − K) triplets (a 10 × 32 batch: about 9,000 per anchor, 2.9 million a batch).
    func evaluateMarginBand(
        distances d: UnsafePointer<T>, labels: UnsafePointer<Int>, embeddings e: UnsafePointer<T>,
        gradient: UnsafeMutablePointer<T>?
    ) -> TripletLossStats {
        countedEvaluation(embeddings: e, gradient: gradient) { stats, sum in
            let n = batch
            let alpha = T(config.margin)
            // One triplet, weighed as the list weighs it (the ordered anchors and the empty bands' fallbacks).
            func single(_ a: Int, _ p: Int, _ q: Int) {
                let dp = d[a * n + p], dq = d[a * n + q]
                stats.triplets += 1
                stats.positiveDistanceSum += Double(dp)
                stats.negativeDistanceSum += Double(dq)
                let m = dp - dq + alpha
                guard m > 0 else { return }
                stats.active += 1
                sum += Double(m)
                if gradient != nil {
                    addPairWeight(a, p, 1, distances: d)
                    addPairWeight(a, q, -1, distances: d)
                }
            }
            let gapSums = self.gapSums.pointer
            for t in 0..<triplets.count {
                let a = Int(triplets.anchors[t]), hardP = Int(triplets.positives[t]), hardQ = Int(triplets.negatives[t])
                let row = d + a * n
                if row[hardQ] > row[hardP] {
                    single(a, hardP, hardQ)
                    continue
                }
                triplets.semiHard(anchor: a, row: row, labels: labels, count: n)
                let m = triplets.semiPositives.count
                // No positive listed: no triplet for this anchor, as in the list.
                guard m > 0 else { continue }
                for g in 0...m { gapCounts[g] = 0; gapSums[g] = 0 }
                triplets.sortedDistances.withUnsafeBufferPointer { sorted in
                    triplets.negativeGaps.withUnsafeBufferPointer { gaps in
                        // Exact: the distances are the matrix's values (T) held as Double, the band's edge d_ap + α
                        // rounded in T as the list rounds it. g₁ is semi-hard's own search's (`negativeGaps`).
                        var j = 0
                        for q in 0..<n where labels[q] != labels[a] {
                            let dq = row[q], exact = Double(dq)
                            let nearer = Int(gaps[j])
                            j += 1
                            var lo = 0, hi = nearer
                            while lo < hi {
                                let mid = (lo + hi) / 2
                                if dq < T(sorted[mid]) + alpha { hi = mid } else { lo = mid + 1 }
                            }
                            // g₂, searched below g₁ only: a band [g₂, g₁) that is not empty starts below g₁.
                            let beyondBand = lo
                            guard beyondBand < nearer else { continue }
                            let c = nearer - beyondBand
                            gapCounts[beyondBand] += 1
                            gapCounts[nearer] -= 1
                            gapSums[beyondBand] += exact
                            gapSums[nearer] -= exact
                            stats.negativeDistanceSum += Double(c) * exact
                            if gradient != nil { addPairWeight(a, q, -T(c), distances: d) }
                        }
                    }
                }
                var c = 0, bandSum = 0.0
                for i in 0..<m {
                    c += Int(gapCounts[i])
                    bandSum += gapSums[i]
                    let k = Int(triplets.order[i]), p = Int(triplets.semiPositives[k])
                    guard c > 0 else {
                        single(a, p, Int(triplets.semiNegatives[k]))
                        continue
                    }
                    stats.triplets += c
                    stats.active += c
                    stats.positiveDistanceSum += Double(c) * Double(row[p])
                    sum += Double(c) * (Double(row[p]) + Double(config.margin)) - bandSum
                    if gradient != nil { addPairWeight(a, p, T(c), distances: d) }
                }
            }
            triplets.removeAll()
            return stats.triplets
        }
    }
}
