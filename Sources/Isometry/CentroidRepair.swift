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

    /// The separated candidate nearest `y` along the blend toward its class-centroid collapse:
    /// `(1 − t)·y + t·C(y)` with t found by bisection, then confirmed by the exact check (t = 1, the
    /// collapse itself, always passes; see `certifiesSeparation`). Returns the candidate, its exact squared
    /// distances and t. `squaredDistances`: y's exact squared distances when the caller has them.
    func repair(_ y: Matrix<Double>, squaredDistances: Matrix<Double>? = nil, threads: Int = 1)
        -> (points: Matrix<Double>, squaredDistances: Matrix<Double>, t: Double) {
        let d2 = squaredDistances ?? exactPairwiseSquaredDistances(y, threads: threads)
        if LabeledPoints.certifiesSeparation(squaredDistances: d2, labels: labels, dimension: y.cols) { return (y, d2, 0) }
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
        let gamma = LabeledPoints.roundingAllowance(dimension: y.cols)
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
            let cd2 = exactPairwiseSquaredDistances(candidate, threads: threads)
            if LabeledPoints.certifiesSeparation(squaredDistances: cd2, labels: labels, dimension: y.cols) { return (candidate, cd2, t) }
            t += 0.5 * (1 - t)
        }
        return (collapse, exactPairwiseSquaredDistances(collapse, threads: threads), 1)
    }
}
