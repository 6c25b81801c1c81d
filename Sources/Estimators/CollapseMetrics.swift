// Collapse metrics of an embedding: spread against a reference scale, effective rank, near-duplicates.
import Foundation
import Linalg

/// Effective rank exp(−Σ p_k log p_k) of the covariance spectrum (Roy & Vetterli 2007, applied to the
/// eigenvalues of the covariance Σ rather than to singular values); 0 for a set of identical points.
public func effectiveRank(_ x: Matrix<Double>) -> Double {
    guard x.rows >= 2, let eigen = SymmetricEigen(x.covariance) else { return 0 }
    let values = eigen.values.map { max($0, 0) }
    let total = values.reduce(0, +)
    guard total > 0 else { return 0 }
    var entropy = 0.0
    for v in values where v > 0 { let p = v / total; entropy -= p * log(p) }
    return exp(entropy)
}

/// How spread out, and in how many dimensions, an embedding is.
public struct CollapseMetrics: Sendable, Codable, Equatable {
    public var meanPairwiseDistance: Double
    public var medianPairwiseDistance: Double
    /// The distance the ratios are relative to (see `init`).
    public var referenceScale: Double
    public var meanRatio: Double
    public var medianRatio: Double
    /// Effective rank of the covariance spectrum.
    public var effectiveRank: Double
    /// Fraction of pairs closer than 1e-3 × the reference scale.
    public var nearDuplicateFraction: Double

    enum CodingKeys: String, CodingKey {
        case meanPairwiseDistance = "mean_pairwise_distance"
        case medianPairwiseDistance = "median_pairwise_distance"
        case referenceScale = "reference_scale"
        case meanRatio = "mean_ratio"
        case medianRatio = "median_ratio"
        case effectiveRank = "effective_rank"
        case nearDuplicateFraction = "near_duplicate_fraction"
    }

    /// Metrics of the rows of `x`. The reference scale is `referenceScale` when given (a train run
    /// passes the same probe's mean pairwise distance at step 0), else √2 × the RMS norm of the
    /// points: the distance between two orthogonal vectors of that norm, √2 for unit embeddings.
    public init(_ x: Matrix<Double>, squaredDistances d2: Matrix<Double>, referenceScale: Double? = nil) {
        let n = x.rows
        var distances = [Double]()
        distances.reserveCapacity(n * (n - 1) / 2)
        for i in 0..<n { for j in (i + 1)..<n { distances.append(d2[i, j].squareRoot()) } }
        distances.sort()
        let mean = distances.isEmpty ? 0 : distances.reduce(0, +) / Double(distances.count)
        let median: Double
        if distances.isEmpty { median = 0 } else if distances.count % 2 == 1 { median = distances[distances.count / 2] } else {
            median = 0.5 * (distances[distances.count / 2 - 1] + distances[distances.count / 2])
        }
        let rmsNorm = (x.storage.reduce(0) { $0 + $1 * $1 } / Double(max(n, 1))).squareRoot()
        let scale = referenceScale ?? 2.0.squareRoot() * rmsNorm
        let threshold = 1e-3 * scale
        var nearDuplicates = 0
        for d in distances { if d < threshold { nearDuplicates += 1 } else { break } }
        meanPairwiseDistance = mean
        medianPairwiseDistance = median
        self.referenceScale = scale
        meanRatio = scale > 0 ? mean / scale : 0
        medianRatio = scale > 0 ? median / scale : 0
        effectiveRank = Estimators.effectiveRank(x)
        nearDuplicateFraction = distances.isEmpty ? 0 : Double(nearDuplicates) / Double(distances.count)
    }
}
