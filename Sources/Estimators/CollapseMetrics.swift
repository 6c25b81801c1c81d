// Collapse metrics of an embedding: spread against a reference scale, effective rank, near-duplicates.
import Isometry
import Foundation
import Linalg

/// Effective rank exp(−Σ p_k log p_k) of the covariance spectrum (Roy & Vetterli 2007, applied to the
/// eigenvalues of the covariance Σ rather than to singular values); 0 for a set of identical points.
/// When there are fewer points than dimensions the same non-zero eigenvalues come from the centred
/// Gram matrix (N × N), which is cheaper than Σ (n × n).
public func effectiveRank(_ x: Matrix<Double>) -> Double {
    guard x.rows >= 2 else { return 0 }
    let matrix: Matrix<Double>
    if x.rows < x.cols {
        let centred = x.centred()
        matrix = centred.matmul(centred, transposeOther: true)
    } else {
        matrix = x.covariance
    }
    guard let eigen = SymmetricEigen(matrix) else { return 0 }
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
    /// RMS distance of the points to their centroid (the translation-invariant scale of the set).
    public var rmsRadius: Double
    /// What the spread is compared with, and its distance (nil for `none`).
    public var reference: SpreadReference
    public var referenceScale: Double?
    /// Mean and median pairwise distance over `referenceScale` (nil without a reference).
    public var meanRatio: Double?
    public var medianRatio: Double?
    /// Effective rank of the covariance spectrum.
    public var effectiveRank: Double
    /// Fraction of pairs closer than 1e-3 × the reference scale (× the RMS radius without a reference).
    public var nearDuplicateFraction: Double

    enum CodingKeys: String, CodingKey {
        case meanPairwiseDistance = "mean_pairwise_distance"
        case medianPairwiseDistance = "median_pairwise_distance"
        case rmsRadius = "rms_radius"
        case reference
        case referenceScale = "reference_scale"
        case meanRatio = "mean_ratio"
        case medianRatio = "median_ratio"
        case effectiveRank = "effective_rank"
        case nearDuplicateFraction = "near_duplicate_fraction"
    }

    /// Metrics of the rows of `x`. The reference is `reference` when given (a train run passes the
    /// probe's mean pairwise distance at step 0, an analyze job its `reference_scale`); otherwise, for
    /// L2-normalised rows (every norm within 1e-5 of their mean r), the sphere: √2·r; otherwise none.
    /// Every ratio is invariant to rotation and positive scaling, and, except for the sphere (whose
    /// centre is the origin by definition), to translation.
    public init(_ x: Matrix<Double>, squaredDistances d2: Matrix<Double>, reference given: (scale: Double, kind: SpreadReference)? = nil) {
        let n = x.rows
        var distances = [Double]()
        distances.reserveCapacity(n * (n - 1) / 2)
        for i in 0..<n { for j in (i + 1)..<n { distances.append(d2[i, j].squareRoot()) } }
        // Sums in pair order, then the median by selection (no sort: N²/2 values at 2,000 points).
        let mean = distances.isEmpty ? 0 : distances.reduce(0, +) / Double(distances.count)
        // Σ‖x_i − x̄‖² = Σ_{i<j} ‖x_i − x_j‖² / N.
        let sumSquares = distances.reduce(0) { $0 + $1 * $1 }
        rmsRadius = n > 0 ? (sumSquares / Double(n) / Double(n)).squareRoot() : 0
        var reference = given
        if reference == nil, n > 0 {
            let norms = (0..<n).map { i in (0..<x.cols).reduce(0.0) { $0 + x[i, $1] * x[i, $1] }.squareRoot() }
            let r = norms.reduce(0, +) / Double(n)
            if r > 0 && norms.allSatisfy({ abs($0 - r) <= 1e-5 * r }) { reference = (2.0.squareRoot() * r, .sphere) }
        }
        let scale = reference?.scale
        let threshold = 1e-3 * (scale ?? rmsRadius)
        let nearDuplicates = distances.reduce(0) { $1 < threshold || $1 == 0 ? $0 + 1 : $0 }
        let median: Double
        if distances.isEmpty { median = 0 } else {
            let upper = valueOfRank(distances.count / 2, in: &distances)
            // For an even count, the lower middle value is the largest of the ranks below (after the
            // selection they sit before position count/2).
            median = distances.count % 2 == 1 ? upper : 0.5 * (distances[..<(distances.count / 2)].max()! + upper)
        }
        meanPairwiseDistance = mean
        medianPairwiseDistance = median
        self.reference = reference?.kind ?? .none
        referenceScale = scale
        meanRatio = scale.map { $0 > 0 ? mean / $0 : 0 }
        medianRatio = scale.map { $0 > 0 ? median / $0 : 0 }
        effectiveRank = Estimators.effectiveRank(x)
        nearDuplicateFraction = distances.isEmpty ? 0 : Double(nearDuplicates) / Double(distances.count)
    }
}
