// The batch objective: distances, mining, the reduced triplet loss and its gradient w.r.t. the embeddings.
import Linalg

/// Statistics of one evaluation of the triplet objective on a batch.
public struct TripletLossStats: Sendable, Equatable {
    /// The reduced loss (0 when no triplet is valid).
    public var loss: Double
    /// Mined triplets.
    public var triplets: Int
    /// Triplets violating the margin (d⁺ − d⁻ + α > 0; for hinge exactly those with non-zero loss).
    public var active: Int
    /// Sum over mined triplets of d(a,p) and of d(a,n), in the loss's distance.
    public var positiveDistanceSum: Double
    public var negativeDistanceSum: Double
}

/// Computes the triplet loss of a batch of embeddings and, optionally, its gradient.
///
/// All buffers are sized for one batch at construction, so `evaluate` does not allocate once the
/// triplet buffer has grown to the batch's triplet count.
public final class TripletObjective<T: BLASReal> {
    public let config: TripletLossConfig
    public let miner: Miner
    public let batch: Int
    public let dim: Int
    /// Mined triplets of the last evaluation (empty where the hinge loss is computed from per-pair counts
    /// without listing its triplets: batch-all, `evaluateEveryTriplet`, and collapse-aware on a mostly
    /// inverted batch, `evaluateMarginBand`).
    public internal(set) var triplets = TripletBuffer()
    let squared: Buffer<T>
    let distances: Buffer<T>
    let norms: Buffer<T>
    let coefficients: Buffer<T>
    let rowSums: Buffer<T>
    /// Scratch of `evaluateEveryTriplet`: one anchor's positives by distance, and per gap between their
    /// thresholds the negatives in it and the sum of their distances; `evaluateMarginBand` keeps its
    /// difference arrays in the last two (empty unless the miner is batch-all or collapse-aware).
    var positiveOrder: [Int32]
    var gapCounts: [Int32]
    let gapSums: Buffer<Double>
    /// Lists the triplets even where the hinge loss counts them (tests compare the two ways).
    var enumeratesEveryTriplet = false

    public init(config: TripletLossConfig, miner: Miner, batch: Int, dim: Int) {
        self.config = config
        self.miner = miner
        self.batch = batch
        self.dim = dim
        squared = Buffer(count: batch * batch)
        distances = Buffer(count: batch * batch)
        norms = Buffer(count: batch)
        coefficients = Buffer(count: batch * batch)
        rowSums = Buffer(count: batch)
        // Only batch-all and collapse-aware count triplets; other miners keep empty scratch.
        let gaps = miner == .batchAll || miner == .collapseAware ? batch + 1 : 0
        positiveOrder = []
        positiveOrder.reserveCapacity(gaps)
        gapCounts = [Int32](repeating: 0, count: gaps)
        gapSums = Buffer(count: gaps)
    }

    /// Loss of `embeddings` (batch × dim) with `labels`; writes ∂loss/∂embeddings into `gradient` when given.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func evaluate(
        embeddings e: UnsafePointer<T>, labels: UnsafePointer<Int>, rng: inout SeededRNG,
        gradient: UnsafeMutablePointer<T>?
    ) -> TripletLossStats {
        let n = batch
        pairwiseSquaredDistances(e, count: n, dim: dim, into: squared.pointer, norms: norms.pointer)
        let d: UnsafeMutablePointer<T>
        switch config.distance {
        case .squared: d = squared.pointer
        case .euclidean:
            d = distances.pointer
            T.sqrt(squared.pointer, into: d, count: n * n)
        }
        if countsEveryTriplet {
            triplets.removeAll()
            return evaluateEveryTriplet(distances: d, labels: labels, embeddings: e, gradient: gradient)
        }
        if countsMarginBand {
            // Collapse-aware's switch on batch-hard's triplets, as `Miner.mine` makes it: on a mostly
            // inverted batch its band is counted, otherwise batch-hard's triplets are the step's.
            Miner.batchHard.mine(distances: d, labels: labels, count: n, squared: config.distance == .squared, rng: &rng, into: &triplets)
            if Miner.isMostlyInverted(distances: d, count: n, batchHard: triplets) {
                return evaluateMarginBand(distances: d, labels: labels, embeddings: e, gradient: gradient)
            }
        } else {
            miner.mine(distances: d, labels: labels, count: n, squared: config.distance == .squared, margin: T(config.margin), rng: &rng, into: &triplets)
        }

        let alpha = T(config.margin)
        var stats = TripletLossStats(loss: 0, triplets: triplets.count, active: 0, positiveDistanceSum: 0, negativeDistanceSum: 0)
        var sum: Double = 0
        triplets.anchors.withUnsafeBufferPointer { A in
            triplets.positives.withUnsafeBufferPointer { P in
                triplets.negatives.withUnsafeBufferPointer { Q in
                    for t in 0..<A.count {
                        let a = Int(A[t]), p = Int(P[t]), q = Int(Q[t])
                        let dp = d[a * n + p], dn = d[a * n + q]
                        let m = dp - dn + alpha
                        if m > 0 { stats.active += 1 }
                        sum += Double(config.value(m))
                        stats.positiveDistanceSum += Double(dp)
                        stats.negativeDistanceSum += Double(dn)
                    }
                }
            }
        }
        // PML's reducers: the mean over all mined triplets, or over the non-zero ones for batch-all.
        let nonZero = config.kind == .soft ? triplets.count : stats.active
        let denominator = miner.averagesNonZeroOnly ? nonZero : triplets.count
        stats.loss = denominator > 0 ? sum / Double(denominator) : 0
        guard let gradient else { return stats }
        gradient.update(repeating: 0, count: n * dim)
        guard denominator > 0 else { return stats }

        // ∂loss/∂d², accumulated straight into the symmetric matrix W (W_ij = W_ji = ∂loss/∂d²_ij)
        // and its row sums, so that ∂loss/∂e_i = 2·(Σ_j W_ij · e_i − Σ_j W_ij · e_j) is one GEMM.
        clearPairWeights()
        let weight = 1 / T(denominator)
        for t in 0..<triplets.count {
            let a = Int(triplets.anchors[t]), p = Int(triplets.positives[t]), q = Int(triplets.negatives[t])
            let g = weight * config.derivative(d[a * n + p] - d[a * n + q] + alpha)
            if g == 0 { continue }
            addPairWeight(a, p, g, distances: d)
            addPairWeight(a, q, -g, distances: d)
        }
        applyPairWeights(embeddings: e, scale: 1, gradient: gradient)
        return stats
    }
}

extension TripletObjective {
    /// Zeroes W and its row sums before a gradient is accumulated.
    func clearPairWeights() {
        coefficients.pointer.update(repeating: 0, count: batch * batch)
        rowSums.zero()
    }

    /// Adds ∂loss/∂d_ij = `g` to W (as ∂loss/∂d²_ij: ∂d/∂d² = 1/(2d) for the Euclidean distance, whose
    /// gradient at 0 is defined as 0) and to its row sums.
    @inline(__always)
    func addPairWeight(_ i: Int, _ j: Int, _ g: T, distances d: UnsafePointer<T>) {
        let n = batch
        let s = config.distance == .euclidean ? (d[i * n + j] > 0 ? g / (2 * d[i * n + j]) : 0) : g
        let w = coefficients.pointer
        w[i * n + j] += s
        w[j * n + i] += s
        rowSums[i] += s
        rowSums[j] += s
    }

    /// ∂loss/∂e = `scale` · 2·(diag(row sums) − W)·e: one GEMM.
    func applyPairWeights(embeddings e: UnsafePointer<T>, scale: T, gradient: UnsafeMutablePointer<T>) {
        let n = batch
        T.gemm(transA: false, transB: false, m: n, n: dim, k: n, alpha: -2 * scale, a: coefficients.pointer, lda: n, b: e, ldb: dim,
               beta: 0, c: gradient, ldc: dim)
        for i in 0..<n {
            let s = 2 * scale * rowSums[i]
            if s == 0 { continue }
            for k in 0..<dim { gradient[i * dim + k] += s * e[i * dim + k] }
        }
    }

    /// Mean pairwise Euclidean distance of the batch last evaluated, from the squared distances the
    /// evaluation already computed (no second pass over the embeddings).
    public var meanPairwiseDistance: Double { meanUpperTriangleRoot(squared.pointer, count: batch) }
}

/// The mean square root of the strict upper triangle of a `b × b` matrix of squared distances.
/// Specialised: called from another module through the generic class, the loop ran unspecialised
/// (a witness-table conversion per pair, 7 % of a 10 × 32 training run).
@_specialize(where T == Float)
@_specialize(where T == Double)
func meanUpperTriangleRoot<T: BLASReal>(_ sq: UnsafePointer<T>, count b: Int) -> Double {
    var spread = 0.0
    for i in 0..<b { for j in (i + 1)..<b { spread += Double(max(sq[i * b + j], 0)).squareRoot() } }
    return spread / Double(max(b * (b - 1) / 2, 1))
}
