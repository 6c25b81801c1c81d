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
    /// Mined triplets of the last evaluation.
    public private(set) var triplets = TripletBuffer()
    let squared: Buffer<T>
    let distances: Buffer<T>
    let norms: Buffer<T>
    let coefficients: Buffer<T>
    let rowSums: Buffer<T>

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
        miner.mine(distances: d, labels: labels, count: n, squared: config.distance == .squared, rng: &rng, into: &triplets)

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
        let w = coefficients.pointer
        w.update(repeating: 0, count: n * n)
        rowSums.zero()
        let weight = 1 / T(denominator)
        let euclidean = config.distance == .euclidean
        @inline(__always) func add(_ i: Int, _ j: Int, _ g: T) {
            // ∂d/∂d² = 1/(2d); the gradient of √ at 0 is defined as 0.
            let s = euclidean ? (d[i * n + j] > 0 ? g / (2 * d[i * n + j]) : 0) : g
            w[i * n + j] += s
            w[j * n + i] += s
            rowSums[i] += s
            rowSums[j] += s
        }
        for t in 0..<triplets.count {
            let a = Int(triplets.anchors[t]), p = Int(triplets.positives[t]), q = Int(triplets.negatives[t])
            let g = weight * config.derivative(d[a * n + p] - d[a * n + q] + alpha)
            if g == 0 { continue }
            add(a, p, g)
            add(a, q, -g)
        }
        T.gemm(transA: false, transB: false, m: n, n: dim, k: n, alpha: -2, a: w, lda: n, b: e, ldb: dim,
               beta: 0, c: gradient, ldc: dim)
        for i in 0..<n {
            let s = 2 * rowSums[i]
            if s == 0 { continue }
            for k in 0..<dim { gradient[i * dim + k] += s * e[i * dim + k] }
        }
        return stats
    }
}

extension TripletObjective {
    /// Mean pairwise Euclidean distance of the batch last evaluated, from the squared distances the
    /// evaluation already computed (no second pass over the embeddings).
    public var meanPairwiseDistance: Double {
        let b = batch, sq = squared.pointer
        var spread = 0.0
        for i in 0..<b { for j in (i + 1)..<b { spread += Double(max(sq[i * b + j], 0)).squareRoot() } }
        return spread / Double(max(b * (b - 1) / 2, 1))
    }
}
