// Feasibility repair: the smallest blend of a candidate toward its class-centroid collapse that is separated.
import Linalg

extension LabeledPoints {
    /// Every point of `y` replaced by the centroid of its class in `y`. Always triplet-separated:
    /// same-class distances are exactly 0.
    public func centroidCollapse(of y: Matrix<Double>) -> Matrix<Double> {
        var out = Matrix<Double>(rows: y.rows, cols: y.cols)
        for members in classes {
            var c = [Double](repeating: 0, count: y.cols)
            for i in members { for k in 0..<y.cols { c[k] += y[i, k] } }
            for k in 0..<y.cols { c[k] /= Double(members.count) }
            for i in members { for k in 0..<y.cols { out[i, k] = c[k] } }
        }
        return out
    }

    /// The exact squared distances of a centroid collapse (`centroidCollapse(of:)`): those of its k
    /// distinct points, spread to the N × N matrix. The same values as computing all N² pairs (each
    /// pair's sum depends only on its two rows, which are the two centroids), in k² instead of N² work.
    public func collapseSquaredDistances(_ collapse: Matrix<Double>, threads: Int = 1) -> Matrix<Double> {
        let representatives = classes.map { $0[0] }
        let k2 = exactPairwiseSquaredDistances(collapse.rows(representatives), threads: threads)
        var classOf = [Int](repeating: 0, count: count)
        for (c, members) in classes.enumerated() { for i in members { classOf[i] = c } }
        var out = Matrix<Double>(rows: count, cols: count)
        let k = classes.count
        for i in 0..<count {
            let row = classOf[i] * k
            for j in 0..<count { out.storage[i * count + j] = i == j ? 0 : k2.storage[row + classOf[j]] }
        }
        return out
    }

    /// `(1 − t)·y + t·collapse`.
    static func blend(_ y: Matrix<Double>, _ collapse: Matrix<Double>, _ t: Double) -> Matrix<Double> {
        var out = y
        for i in 0..<out.storage.count { out.storage[i] = (1 - t) * y.storage[i] + t * collapse.storage[i] }
        return out
    }

    /// How a repair measures squared distances.
    enum Measure: Sendable {
        /// Direct differences in Double (`exactPairwiseSquaredDistances`), checked with the rounding
        /// allowance of `certifiesSeparation`: the candidate is certainly separated.
        case exact
        /// Float32 products (`mixedPairwiseSquaredDistances`), about four times faster at 512
        /// dimensions, checked with the allowance of Float32 rounding: the candidate is separated up
        /// to that rounding, a guess for a search whose results are repaired again exactly
        /// (`FStarSolver.measure`), never a certificate.
        case single

        func squaredDistances(_ y: Matrix<Double>, threads: Int) -> Matrix<Double> {
            switch self {
            case .exact: return exactPairwiseSquaredDistances(y, threads: threads)
            case .single: return mixedPairwiseSquaredDistances(y, threads: threads)
            }
        }

        func allowance(dimension: Int) -> Double {
            switch self {
            case .exact: return LabeledPoints.roundingAllowance(dimension: dimension)
            // The same count of roundings at u = 2⁻²⁴; the error of a Gram-trick distance is relative
            // to the norms rather than to the distance, so this is a heuristic margin, not a bound.
            case .single: return LabeledPoints.roundingAllowance(dimension: dimension, unitRoundoff: 0x1p-24)
            }
        }
    }

    /// The separated candidate nearest `y` along the blend toward its class-centroid collapse:
    /// `(1 − t)·y + t·C(y)` with t found by bisection, then confirmed by the check on the materialised
    /// points (t = 1, the collapse itself, always passes; see `certifiesSeparation`). Returns the
    /// candidate, its squared distances and t. `measure`: how distances are computed and checked —
    /// `.exact` (the default: the candidate is certainly separated) or `.single` (Float32 products, a
    /// proposal; see `Measure`). `squaredDistances`: y's squared distances, by `measure`, when the
    /// caller has them.
    func repair(_ y: Matrix<Double>, squaredDistances: Matrix<Double>? = nil, threads: Int = 1, measure: Measure = .exact)
        -> (points: Matrix<Double>, squaredDistances: Matrix<Double>, t: Double) {
        let d2 = squaredDistances ?? measure.squaredDistances(y, threads: threads)
        let gamma = measure.allowance(dimension: y.cols)
        if LabeledPoints.certifiesSeparation(squaredDistances: d2, labels: labels, allowance: gamma) { return (y, d2, 0) }
        let collapse = centroidCollapse(of: y)
        let n = count
        // Along the blend, same-class distances scale by (1 − t) and a cross-class difference is
        // (1 − t)u + t v with u = y_a − y_q, v = c_A − c_B: its squared norm is a quadratic in t.
        // Its coefficients are computed once, and the bisection evaluates only the constraints that can
        // fail for some t (`BlendConstraints`): a few per anchor instead of all N² pairs per step.
        // The products y_i · c_k and c_a · c_b as matrix products (N × k and k × k: with hundreds of
        // classes in R⁵¹² a scalar loop over them cost more than the bisection).
        let k = classes.count
        let centroids = collapse.rows(classes.map { $0[0] })
        let yc = y.matmul(centroids, transposeOther: true).storage
        let cc = centroids.matmul(centroids, transposeOther: true).storage
        var farPositive = [Double](repeating: 0, count: n)
        for a in 0..<n { for j in 0..<n where j != a && labels[j] == labels[a] { farPositive[a] = max(farPositive[a], d2[a, j]) } }
        // The same rounding margin as the certification, so bisection lands where confirmation passes.
        let marginFactor = (1 + 2 * gamma) / (1 - 2 * gamma)
        let constraints = BlendConstraints(squaredDistances: d2, labels: labels, classes: k, yc: yc, cc: cc,
                                           farPositive: farPositive, marginFactor: marginFactor, threads: threads)
        var lo = 0.0, hi = 1.0
        for _ in 0..<32 {
            let mid = 0.5 * (lo + hi)
            if constraints.hold(at: mid) { hi = mid } else { lo = mid }
        }
        // Confirm on the materialised points; rounding may need a slightly larger t.
        var t = hi
        for _ in 0..<60 {
            let candidate = LabeledPoints.blend(y, collapse, t)
            let cd2 = measure.squaredDistances(candidate, threads: threads)
            if LabeledPoints.certifiesSeparation(squaredDistances: cd2, labels: labels, allowance: gamma) { return (candidate, cd2, t) }
            t += 0.5 * (1 - t)
        }
        return (collapse, measure.squaredDistances(collapse, threads: threads), 1)
    }
}
