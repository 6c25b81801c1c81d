// Thickness θ(A) = min over unit e of (max e·x − min e·x) and diameter, with certified brackets.
import Isometry
import Linalg

/// The minimal width θ of a point set, bracketed, with its diameter.
public struct Thickness: Sendable, Codable, Equatable {
    public var lower: Double
    public var upper: Double
    /// Whether lower == upper by construction (rank-deficient sets, n = 1, n = 2).
    public var exact: Bool
    public var diameter: Double

    /// q = θ/diam as a bracket (0 when the diameter is 0).
    public var qLower: Double
    public var qUpper: Double

    enum CodingKeys: String, CodingKey {
        case lower, upper, exact, diameter
        case qLower = "q_lower"
        case qUpper = "q_upper"
    }

    /// θ and diam of the rows of `x`.
    ///
    /// Exact when the centred points have rank < n (θ = 0; in particular N ≤ n), for n = 1, and for
    /// n = 2 (convex hull and rotating calipers). Otherwise `2·√λ_min(Σ) ≤ θ ≤ 2·√(N·λ_min(Σ))` (Σ the
    /// covariance, 1/N), the upper end tightened to the width along the smallest principal axis and
    /// then by a seeded local search over directions.
    /// `squaredDistances`: the rows' exact squared distances, and `frame` their canonical frame, when the
    /// caller has them (the f* search computes the same frame of the same points).
    public init(_ x: Matrix<Double>, squaredDistances: Matrix<Double>? = nil, frame given: CanonicalFrame? = nil, seed: UInt64 = 0) {
        let n = x.rows, dim = x.cols
        let d2 = squaredDistances ?? exactPairwiseSquaredDistances(x)
        let diameter = (d2.storage.max() ?? 0).squareRoot()
        guard n >= 2, diameter > 0 else { self.init(lower: 0, upper: 0, exact: true, diameter: diameter); return }
        if dim == 1 {
            let v = x.storage
            let w = v.max()! - v.min()!
            self.init(lower: w, upper: w, exact: true, diameter: diameter)
            return
        }
        // N ≤ n: the centred points span at most N − 1 dimensions, so θ = 0 exactly (no D × D eigenproblem:
        // a probe of many small classes in a wide embedding has hundreds of such classes).
        if n <= dim { self.init(lower: 0, upper: 0, exact: true, diameter: diameter); return }
        let values = given?.variances ?? SymmetricEigen(x.covariance)?.values ?? []
        let lambdaMin = max(values.first ?? 0, 0), lambdaMax = values.last ?? 0
        if lambdaMin <= 1e-12 * lambdaMax {
            self.init(lower: 0, upper: 0, exact: true, diameter: diameter)
            return
        }
        if dim == 2 {
            let w = Thickness.planarWidth(x)
            self.init(lower: w, upper: w, exact: true, diameter: diameter)
            return
        }
        // Search in the canonical frame (principal axes with fixed signs, unit scale), starting at the
        // smallest axis, so the search path and the bound do not depend on the input's frame; the
        // direction found is mapped back and its width measured on the original points.
        let frame = given ?? CanonicalFrame(x)
        var direction = [Double](repeating: 0, count: dim)
        direction[dim - 1] = 1
        var bestCanonical = Thickness.width(frame.canonical, direction)
        var rng = SeededRNG(seed: seed, stream: 0x7A1C)
        if dim <= Thickness.greedyDimensions {
            Thickness.greedySearch(frame.canonical, direction: &direction, best: &bestCanonical, rng: &rng)
        } else {
            Thickness.batchedSearch(frame.canonical, direction: &direction, best: &bestCanonical, rng: &rng)
        }
        let original = (0..<dim).map { i in (0..<dim).reduce(0.0) { $0 + frame.axes[i, $1] * direction[$1] } }
        let best = Thickness.width(x, original)
        let lower = 2 * lambdaMin.squareRoot()
        self.init(lower: min(lower, best), upper: min(best, 2 * (Double(n) * lambdaMin).squareRoot()), exact: false, diameter: diameter)
    }

    /// Up to this dimension the search is the greedy one; above it, batched rounds.
    static let greedyDimensions = 32
    /// Candidate directions per batched round, and the most rounds.
    static let batchCandidates = 128
    static let maxRounds = 120

    init(lower: Double, upper: Double, exact: Bool, diameter: Double) {
        self.lower = lower
        self.upper = upper
        self.exact = exact
        self.diameter = diameter
        qLower = diameter > 0 ? lower / diameter : 0
        qUpper = diameter > 0 ? upper / diameter : 0
    }

    /// max e·x − min e·x over the rows.
    static func width(_ x: Matrix<Double>, _ e: [Double]) -> Double {
        var lo = Double.infinity, hi = -Double.infinity
        for r in 0..<x.rows {
            var s = 0.0
            for k in 0..<x.cols { s += x[r, k] * e[k] }
            lo = min(lo, s)
            hi = max(hi, s)
        }
        return hi - lo
    }

    /// Minimal width of a planar set: over the convex hull's edges, the farthest hull vertex from the
    /// edge's line (the minimum-width strip has a side flush with a hull edge).
    static func planarWidth(_ x: Matrix<Double>) -> Double {
        let hull = convexHull((0..<x.rows).map { (x[$0, 0], x[$0, 1]) })
        guard hull.count >= 3 else { return 0 }
        var best = Double.infinity
        for i in 0..<hull.count {
            let a = hull[i], b = hull[(i + 1) % hull.count]
            let ex = b.0 - a.0, ey = b.1 - a.1
            let length = (ex * ex + ey * ey).squareRoot()
            if length == 0 { continue }
            var far = 0.0
            for p in hull { far = max(far, abs(ex * (p.1 - a.1) - ey * (p.0 - a.0)) / length) }
            best = min(best, far)
        }
        return best
    }

    /// Andrew's monotone chain: the hull's vertices counter-clockwise, collinear points dropped.
    static func convexHull(_ points: [(Double, Double)]) -> [(Double, Double)] {
        let p = points.sorted { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        if p.count < 3 { return p }
        func cross(_ o: (Double, Double), _ a: (Double, Double), _ b: (Double, Double)) -> Double {
            (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0)
        }
        var lower = [(Double, Double)](), upper = [(Double, Double)]()
        for q in p {
            while lower.count >= 2 && cross(lower[lower.count - 2], lower[lower.count - 1], q) <= 0 { lower.removeLast() }
            lower.append(q)
        }
        for q in p.reversed() {
            while upper.count >= 2 && cross(upper[upper.count - 2], upper[upper.count - 1], q) <= 0 { upper.removeLast() }
            upper.append(q)
        }
        return Array(lower.dropLast() + upper.dropLast())
    }
}

extension Thickness {
    /// Small n: greedy, each candidate perturbs the best direction so far; the step halves when none improves.
    static func greedySearch(_ x: Matrix<Double>, direction: inout [Double], best: inout Double, rng: inout SeededRNG) {
        let dim = x.cols
        var step = 0.5
        while step > 1e-4 {
            var improved = false
            for _ in 0..<(4 * dim) {
                var candidate = direction.map { $0 + step * rng.normal() }
                let norm = candidate.reduce(0) { $0 + $1 * $1 }.squareRoot()
                candidate = candidate.map { $0 / norm }
                let w = Thickness.width(x, candidate)
                if w < best { best = w; direction = candidate; improved = true }
            }
            if !improved { step /= 2 }
        }
    }

    /// Wide embeddings: each round perturbs the best direction `batchCandidates` times and measures every
    /// candidate's width with one GEMM (batch × n × N), at most `maxRounds` rounds. The products are in
    /// Float32 (twice as fast; a width is then off by about 2⁻²⁴·√n of the unit-scale coordinates): they
    /// only choose the direction, whose width the caller measures again in Double on the original
    /// points, so the upper end stays the width of a direction actually measured — certified, only less
    /// tight. The widths compared are all Float32 ones, the start's included.
    static func batchedSearch(_ x: Matrix<Double>, direction: inout [Double], best: inout Double, rng: inout SeededRNG) {
        let n = x.rows, dim = x.cols
        let batch = Thickness.batchCandidates
        let points = Buffer<Float>(count: n * dim), candidates = Buffer<Float>(count: batch * dim), projections = Buffer<Float>(count: batch * n)
        for i in 0..<(n * dim) { points[i] = Float(x.storage[i]) }
        // The candidates in Double too: the direction kept is a unit vector in Double (the width the
        // caller measures is a width only along a unit vector).
        var unit = [Double](repeating: 0, count: batch * dim)
        /// The Float32 widths of the candidates' rows `0..<count`.
        func widths(_ count: Int) -> [Double] {
            Float.gemm(transA: false, transB: true, m: count, n: n, k: dim, alpha: 1, a: candidates.pointer, lda: dim,
                       b: points.pointer, ldb: dim, beta: 0, c: projections.pointer, ldc: n)
            return (0..<count).map { c in
                var lo = Float.infinity, hi = -Float.infinity
                for r in 0..<n { let v = projections[c * n + r]; lo = min(lo, v); hi = max(hi, v) }
                return Double(hi) - Double(lo)
            }
        }
        for d in 0..<dim { candidates[d] = Float(direction[d]) }
        best = widths(1)[0]
        var step = 0.5
        var rounds = 0
        while step > 1e-4 && rounds < Thickness.maxRounds {
            rounds += 1
            for c in 0..<batch {
                var norm = 0.0
                for d in 0..<dim { let v = direction[d] + step * rng.normal(); unit[c * dim + d] = v; norm += v * v }
                norm = norm.squareRoot()
                for d in 0..<dim { unit[c * dim + d] /= norm; candidates[c * dim + d] = Float(unit[c * dim + d]) }
            }
            var bestRow = -1
            for (c, w) in widths(batch).enumerated() where w < best { best = w; bestRow = c }
            if bestRow >= 0 { direction = Array(unit[(bestRow * dim)..<((bestRow + 1) * dim)]) } else { step /= 2 }
        }
    }
}
