// Triplet separation (Def. 1) and the hardest-triplet loss L_hard = max_a g(a).
import Linalg

/// The hardest triplet of a labelled set and the per-anchor margins g(a).
public struct SeparationReport: Sendable, Equatable {
    /// g(a) = max_p d(a,p) − min_q d(a,q) per anchor; nil for anchors without a positive or a negative.
    public var margins: [Double?]
    /// L_hard = max_a g(a) (the loss of the single hardest triplet with α = 0); may be negative.
    public var hardestLoss: Double
    /// (anchor, positive, negative) of the hardest triplet.
    public var hardestTriplet: (anchor: Int, positive: Int, negative: Int)
    /// Whether every anchor has g(a) ≤ 0 (equality allowed, so a collapsed set is separated).
    public var isSeparated: Bool { hardestLoss <= 0 }

    /// Of the anchors with a positive and a negative (`margins`), the fraction that is separated
    /// (g(a) ≤ 0) and the fraction that meets margin α (g(a) + α ≤ 0); 0 when there is none.
    public static func anchorFractions(_ margins: [Double?], margin: Double) -> (separated: Double, marginMet: Double) {
        let g = margins.compactMap { $0 }
        guard !g.isEmpty else { return (0, 0) }
        return (Double(g.filter { $0 <= 0 }.count) / Double(g.count), Double(g.filter { $0 + margin <= 0 }.count) / Double(g.count))
    }

    public static func == (a: SeparationReport, b: SeparationReport) -> Bool {
        a.margins == b.margins && a.hardestLoss == b.hardestLoss && a.hardestTriplet == b.hardestTriplet
    }
}

extension LabeledPoints {
    /// Exact separation check in Double (direct-difference distances): g(a) for every anchor and L_hard.
    public func separation() -> SeparationReport {
        Self.separation(squaredDistances: exactPairwiseSquaredDistances(points), labels: labels)
    }

    /// g(a) and L_hard from a matrix of squared distances. Ties go to the lowest index.
    public static func separation(squaredDistances d2: Matrix<Double>, labels: [Int]) -> SeparationReport {
        let n = labels.count
        var margins = [Double?](repeating: nil, count: n)
        var best = -Double.infinity
        var triplet = (anchor: -1, positive: -1, negative: -1)
        for a in 0..<n {
            var p = -1, q = -1
            var far = -1.0, near = Double.infinity
            for j in 0..<n where j != a {
                let v = d2[a, j]
                if labels[j] == labels[a] { if v > far { far = v; p = j } } else if v < near { near = v; q = j }
            }
            guard p >= 0, q >= 0 else { continue }
            let g = far.squareRoot() - near.squareRoot()
            margins[a] = g
            if g > best { best = g; triplet = (a, p, q) }
        }
        return SeparationReport(margins: margins, hardestLoss: best, hardestTriplet: triplet)
    }
}

extension LabeledPoints {
    /// Bound γ on the relative error of a squared distance computed by `exactPairwiseSquaredDistances`
    /// in dimension n: each of the n terms (difference, square) carries at most 3 roundings and the
    /// recursive sum n − 1 more, so |computed − true| ≤ γ_{n+2}·true with γ_k = k·u/(1 − k·u), u = 2⁻⁵³
    /// (Higham, *Accuracy and Stability of Numerical Algorithms*, §3.1 and §4.2). One more unit covers
    /// the comparison's own products.
    /// `unitRoundoff`: u of the arithmetic (2⁻⁵³ for Double).
    static func roundingAllowance(dimension n: Int, unitRoundoff: Double = 0x1p-53) -> Double {
        let k = Double(n + 3) * unitRoundoff
        return k / (1 - k)
    }

    /// Whether the points behind `d2` (exact squared distances of Double coordinates) are certainly
    /// triplet-separated: for every anchor, farthest positive·(1 + γ) ≤ nearest negative·(1 − γ) on the
    /// computed squared distances. Since each computed value is within a factor 1 ± γ of the true one,
    /// this implies the true farthest positive ≤ the true nearest negative. A violation of one ulp, or a
    /// tie that rounding could have produced, is therefore never certified (the f* search then blends
    /// a candidate a little further toward its class centroids); exact zeros (coinciding points, as
    /// in the centroid collapse) still pass, since 0·(1 + γ) ≤ 0.
    static func certifiesSeparation(squaredDistances d2: Matrix<Double>, labels: [Int], dimension: Int) -> Bool {
        certifiesSeparation(squaredDistances: d2, labels: labels, allowance: roundingAllowance(dimension: dimension))
    }

    /// The same check with a given allowance γ.
    static func certifiesSeparation(squaredDistances d2: Matrix<Double>, labels: [Int], allowance gamma: Double) -> Bool {
        let n = labels.count
        return d2.storage.withUnsafeBufferPointer { p in
            labels.withUnsafeBufferPointer { l in
                for a in 0..<n {
                    var far = 0.0, near = Double.infinity
                    let row = p.baseAddress! + a * n
                    for j in 0..<n where j != a {
                        if l[j] == l[a] { far = Swift.max(far, row[j]) } else { near = Swift.min(near, row[j]) }
                    }
                    if near.isFinite && far * (1 + gamma) > near * (1 - gamma) { return false }
                }
                return true
            }
        }
    }
}
