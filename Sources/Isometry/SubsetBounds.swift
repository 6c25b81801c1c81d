// Certified lower bounds of d_iso and d_haus from small subsets of the points, each naming its subset.
//
// Every bound here rests on one fact: for any subset S of the points, d(f|S) ≤ d(f) for both
// estimators, because a triplet-separated f* restricted to S is triplet-separated on S and a sup over
// fewer points or pairs is smaller. The proofs of the three-point bounds are next to them and in the
// docs/estimators.md.
import Foundation
import Linalg

/// How a lower bound was proven.
public enum LowerBoundRule: String, Sendable, Codable, CaseIterable {
    /// d_iso ≥ L/2 and d_haus ≥ L/4 from the hardest triplet alone.
    case hardestTriplet = "hardest_triplet"
    /// d_haus of the anchor's own constraint on {a, p, q}, solved exactly (`anchorBallBound`).
    case anchorBall = "anchor_ball"
    /// d_haus of {a, p, q} with both a and p as anchors, by the weighted Apollonius identity (`twoAnchorBound`).
    case twoAnchor = "two_anchor"
    /// d_iso of {a, p, q} with both a and p as anchors in R¹, solved exactly over the orders of the three points (`lineIsometricBound`).
    case lineOrder = "line_order"
    /// d_iso of four points in n ≤ 2: their separation order, and that four points of a plane have a
    /// largest distance at least √2 times their smallest (3 times on a line) (`PlanarQuadSearch`).
    case planarQuad = "planar_quad"
}

/// A certified lower bound and the subset of points that proves it.
public struct LowerBound: Sendable, Codable, Equatable {
    public var value: Double
    public var rule: LowerBoundRule
    /// Indices (rows of the analysed set) of the subset S with d(f|S) ≥ `value`.
    public var points: [Int]

    public init(value: Double, rule: LowerBoundRule, points: [Int]) {
        self.value = value
        self.rule = rule
        self.points = points
    }
}

/// The best certified lower bounds found for one labelled set.
struct SubsetBounds {
    var isometric: LowerBound
    var hausdorff: LowerBound
    /// Rounding allowance subtracted from every bound (see `init`).
    let slack: Double

    /// Most triplets whose exact anchor-ball bound is computed (each costs a few thousand evaluations).
    static let anchorBallBudget = 64

    /// Most anchors whose three-point (and, in n ≤ 2, four-point) subsets are tried: a plain budget, taken
    /// by decreasing margin g(a). (A triplet's margin does not cap what its subset can prove: on the closed
    /// form of DESIGN §1, g = 1 and the two-anchor bound is 1/√3 > g/2, so no pruning rule is used.)
    static let anchorBudget = 64

    /// Bounds from the hardest triplet and from the three-point subsets of the hardest anchors (and the
    /// four-point planar subsets when n ≤ 2). `d2` are f's exact squared distances; `separation` its
    /// per-anchor margins.
    init(_ f: LabeledPoints, squaredDistances d2: Matrix<Double>, separation: SeparationReport) {
        let lHard = max(0, separation.hardestLoss)
        let t = separation.hardestTriplet
        let hardest = t.anchor >= 0 ? [t.anchor, t.positive, t.negative] : []
        let diameter = (d2.storage.max() ?? 0).squareRoot()
        // The hardest-triplet bounds and the four-point bound read distances with relative error ≲ (n + 3)·u;
        // they are lowered by a multiple of that times the largest distance so they stay below the exact
        // value. The three-point d_haus bounds read a planar triangle computed from coordinates, each
        // vertex within 2γ_{n+6}·D of a rigid image of the exact one (`PlanarTriangle`); moving the points
        // of S by at most δ changes d_haus(f|S) by at most δ, and the bound's own arithmetic (a few dozen
        // operations on numbers ≤ 2D) errs by far less than 16·u·D, so they are lowered by 4γ_{n+6}·D + 16·u·D.
        slack = 4 * Double(f.dimension + 3) * Double.ulpOfOne * diameter
        let triangleSlack = 4 * LabeledPoints.roundingAllowance(dimension: f.dimension + 3) * diameter + 16 * Double.ulpOfOne * diameter
        isometric = LowerBound(value: max(0, lHard / 2 - slack), rule: .hardestTriplet, points: hardest)
        hausdorff = LowerBound(value: max(0, lHard / 4 - slack), rule: .hardestTriplet, points: hardest)
        guard lHard > 0 else { return }
        let n = f.count
        let anchors = (0..<n).filter { (separation.margins[$0] ?? 0) > 0 }.sorted {
            separation.margins[$0]! > separation.margins[$1]! || (separation.margins[$0]! == separation.margins[$1]! && $0 < $1)
        }.prefix(SubsetBounds.anchorBudget)
        var ballsLeft = SubsetBounds.anchorBallBudget
        let dist = { (i: Int, j: Int) in d2[i, j].squareRoot() }
        let quads = PlanarQuadSearch(f, squaredDistances: d2)
        for a in anchors {
            // The anchor's farthest positive; its nearest negative, and the negative nearest the pair's midpoint.
            var p = -1, q = -1, mid = -1
            var far = -1.0, near = Double.infinity, midBest = Double.infinity
            for j in 0..<n where j != a && f.labels[j] == f.labels[a] && d2[a, j] > far { far = d2[a, j]; p = j }
            for j in 0..<n where f.labels[j] != f.labels[a] {
                if d2[a, j] < near { near = d2[a, j]; q = j }
                let m = 0.5 * (d2[j, a] + d2[j, p]) - 0.25 * d2[a, p]  // ‖f_j − (f_a + f_p)/2‖² (Apollonius; only a choice)
                if m < midBest { midBest = m; mid = j }
            }
            guard p >= 0, q >= 0 else { continue }
            for negative in Set([q, mid]).sorted() {
                if f.dimension == 1 {
                    let (ap, aq, pq) = (dist(a, p), dist(a, negative), dist(p, negative))
                    let value = max(0, SubsetBounds.lineIsometricBound(ap: ap, aq: aq, pq: pq) - slack)
                    if value > isometric.value { isometric = LowerBound(value: value, rule: .lineOrder, points: [a, p, negative]) }
                }
                let triangle = PlanarTriangle(f.points, a: a, p: p, q: negative)
                consider(SubsetBounds.twoAnchorBound(triangle), .twoAnchor, [a, p, negative], slack: triangleSlack)
                if ballsLeft > 0 {
                    ballsLeft -= 1
                    consider(SubsetBounds.anchorBallBound(triangle, dimension: f.dimension), .anchorBall, [a, p, negative], slack: triangleSlack)
                    consider(SubsetBounds.anchorBallBound(triangle.swappingAnchor(), dimension: f.dimension), .anchorBall, [p, a, negative],
                             slack: triangleSlack)
                }
                if let quad = quads.best(a: a, p: p, q: negative, above: isometric.value + slack) {
                    let value = max(0, quad.value - slack)
                    if value > isometric.value { isometric = LowerBound(value: value, rule: .planarQuad, points: quad.points) }
                }
            }
        }
    }

    private mutating func consider(_ computed: Double, _ rule: LowerBoundRule, _ points: [Int], slack: Double) {
        let value = max(0, computed - slack)
        if value > hausdorff.value { hausdorff = LowerBound(value: value, rule: rule, points: points) }
    }

    /// d_haus ≥ this for any f with these distances between a, p (same class) and q (another class).
    ///
    /// Proof. Let f* be triplet-separated with ‖f*(x) − f(x)‖ ≤ h for x ∈ {a, p, q}; write y_x = f*(x),
    /// δ_x = y_x − f(x), s = ‖y_a − y_p‖. Both a and p are anchors with q as a negative, so
    /// ‖y_q − y_a‖ ≥ s and ‖y_q − y_p‖ ≥ s. For λ ∈ (0, 1) and m = λy_a + (1 − λ)y_p, the weighted
    /// Apollonius identity λ‖y_q − y_a‖² + (1 − λ)‖y_q − y_p‖² = ‖y_q − m‖² + λ(1 − λ)s² gives
    /// ‖y_q − m‖ ≥ κs with κ = √(1 − λ(1 − λ)). With μ = λδ_a + (1 − λ)δ_p and v = δ_a − δ_p:
    /// ‖y_q − m‖ ≤ c + h + ‖μ‖ (c = ‖f(q) − λf(a) − (1 − λ)f(p)‖) and s ≥ d_ap − ‖v‖. The same identity
    /// on the displacements gives ‖μ‖² + λ(1 − λ)‖v‖² = λ‖δ_a‖² + (1 − λ)‖δ_p‖² ≤ h², so by
    /// Cauchy–Schwarz ‖μ‖ + κ‖v‖ ≤ h·√(1 + κ²/(λ(1 − λ))). Together: κ·d_ap − c ≤ h·(1 + √(1 + κ²/(λ(1 − λ)))).
    /// Any λ gives a valid bound; the best of a grid is returned. In the closed form of DESIGN §1
    /// (a = 0, p = 2, q = 1, λ = 1/2) it is (√3 − 0)/3 = 1/√3, the exact d_haus in R² and above.
    ///
    /// c is computed in the triangle's plane as the length of q − (λa + (1 − λ)p), a sum of squares, never
    /// as √(λ·aq² + (1 − λ)·pq² − λ(1 − λ)·ap²), whose cancellation errs by up to √u·D and can raise the bound.
    static func twoAnchorBound(_ t: PlanarTriangle) -> Double {
        var best = 0.0
        let ap = t.ap
        for k in 1..<40 {
            let lambda = Double(k) / 40
            let w = lambda * (1 - lambda)
            // m = λ·a + (1 − λ)·p with p at the origin; q at (pq, 0).
            let dx = t.pq - lambda * t.ax, dy = lambda * t.ar
            let c = (dx * dx + dy * dy).squareRoot()
            let kappa = (1 - w).squareRoot()
            best = max(best, (kappa * ap - c) / (1 + (1 + kappa * kappa / w).squareRoot()))
        }
        return best
    }

    /// The same from side lengths (exact inputs only; see `PlanarTriangle.init(ap:aq:pq:)`).
    static func twoAnchorBound(ap: Double, aq: Double, pq: Double) -> Double {
        twoAnchorBound(PlanarTriangle(ap: ap, aq: aq, pq: pq))
    }

    /// d_iso ≥ this for any f in R¹ with these distances between a, p (same class) and q (another class).
    ///
    /// Proof. Let f* into R¹ be triplet-separated on {a, p, q}; a and p are anchors (each has the other as
    /// positive and q as negative), so u = d*(a,p) ≤ d*(a,q) and u ≤ d*(p,q). Three points of a line have
    /// one of them between the others, and the distance across is the sum of the other two:
    /// - q in the middle: d*(a,p) = d*(a,q) + d*(q,p) ≥ each term, so with the constraints all three are 0
    ///   and the error is max(d_ap, d_aq, d_pq);
    /// - a in the middle: d*(p,q) = u + w with w = d*(a,q) ≥ u ≥ 0;
    /// - p in the middle: the same with a and p exchanged (w = d*(p,q), d*(a,q) = u + w).
    /// In each case the smallest ε with |d* − d| ≤ ε on all three pairs is the first ε at which a convex
    /// polygon of (u, w) becomes non-empty; feasibility is monotone in ε, and bisection keeps an ε proven
    /// infeasible. The minimum over the three cases is below the error of any separated f*, hence below
    /// d_iso(f|S) ≤ d_iso(f). On the closed form of DESIGN §1 (d_ap = 2, d_aq = d_pq = 1) it is 1, the exact
    /// value in R¹ (L/2 = 1/2).
    static func lineIsometricBound(ap: Double, aq: Double, pq: Double) -> Double {
        // Feasibility of u ∈ [A − ε, A + ε] ∩ [0, ∞), w ∈ [B − ε, B + ε], w ≥ u, u + w ∈ [C − ε, C + ε].
        func feasible(_ eps: Double, _ a: Double, _ b: Double, _ c: Double) -> Bool {
            let uLow = max(0, a - eps), uHigh = a + eps, wLow = b - eps, wHigh = b + eps
            guard uLow <= uHigh, uLow <= wHigh else { return false }
            let sumLow = uLow + max(wLow, uLow)
            let sumHigh = min(uHigh, wHigh) + wHigh
            return sumLow <= c + eps && sumHigh >= c - eps
        }
        func smallest(_ a: Double, _ b: Double, _ c: Double) -> Double {
            // ε = max(a, b, c) is feasible (u = w = 0).
            var lo = 0.0, hi = max(a, b, c)
            if feasible(0, a, b, c) { return 0 }
            for _ in 0..<100 {
                let mid = 0.5 * (lo + hi)
                if feasible(mid, a, b, c) { hi = mid } else { lo = mid }
            }
            return lo
        }
        let qMiddle = max(ap, aq, pq)
        let aMiddle = smallest(ap, aq, pq)  // u = d*(a,p), w = d*(a,q), u + w = d*(p,q)
        let pMiddle = smallest(ap, pq, aq)  // u = d*(a,p), w = d*(p,q), u + w = d*(a,q)
        return min(qMiddle, aMiddle, pMiddle)
    }

    /// d_haus ≥ this for any f with these distances (anchor a, its positive p, a negative q), from the
    /// anchor's own constraint alone, solved exactly up to a certified discretisation.
    ///
    /// Proof. If f* is separated with ‖f* − f‖ ≤ h on {a, p, q}, then z = f*(a) lies in the ball
    /// B(f(a), h) and ‖z − f*(p)‖ ≤ ‖z − f*(q)‖, while ‖z − f*(p)‖ ≥ ‖z − f(p)‖ − h and
    /// ‖z − f*(q)‖ ≤ ‖z − f(q)‖ + h; so φ(z) = ‖z − f(p)‖ − ‖z − f(q)‖ ≤ 2h somewhere on the ball.
    /// Conversely, if min over the ball of φ is > 2h, no such f* exists and d_haus > h. φ is invariant
    /// under rotations about the line through f(p) and f(q), so its minimum over the ball equals its
    /// minimum over the disk where the plane through that line and f(a) cuts the ball (n ≥ 2; n = 1 is
    /// the segment [a − h, a + h]). Inside the disk φ has no critical point except on the line beyond
    /// f(p) (where it takes its global minimum −d_pq < 0, and then the test passes), so the minimum is
    /// on the circle, where φ is 2h-Lipschitz in the angle: M evenly spaced angles bound it from below
    /// by min over samples of (φ(θ_i) + φ(θ_{i+1}))/2 − 2h·π/M. The largest h with this lower estimate
    /// above 2h is found by bisection, keeping the end proven infeasible.
    static func anchorBallBound(ap: Double, aq: Double, pq: Double, dimension: Int) -> Double {
        anchorBallBound(PlanarTriangle(ap: ap, aq: aq, pq: pq), dimension: dimension)
    }

    /// The anchor-ball bound of a triangle placed from coordinates (anchor a, positive p at the origin,
    /// negative q on the axis).
    static func anchorBallBound(_ t: PlanarTriangle, dimension: Int) -> Double {
        let g = t.ap - t.aq
        guard g > 0 else { return 0 }
        let (pq, ax, ar) = (t.pq, t.ax, t.ar)
        func phi(_ x: Double, _ r: Double) -> Double { (x * x + r * r).squareRoot() - ((x - pq) * (x - pq) + r * r).squareRoot() }
        // A certified lower estimate of min φ over the ball of radius h around f(a).
        func minimumBelow(_ h: Double) -> Double {
            if dimension == 1 {
                // φ is piecewise linear on the segment, with breakpoints at 0 and pq.
                let lo = ax - h, hi = ax + h
                var m = min(phi(lo, 0), phi(hi, 0))
                for b in [0.0, pq] where b > lo && b < hi { m = min(m, phi(b, 0)) }
                return m
            }
            // The ray beyond f(p) (x ≤ 0, r = 0) meets the disk: φ reaches its global minimum −pq.
            if ar <= h && ax - (h * h - ar * ar).squareRoot() <= 0 { return -pq }
            let samples = 720
            var previous = phi(ax + h, ar), first = previous, m = Double.infinity
            for i in 1...samples {
                let theta = 2 * Double.pi * Double(i) / Double(samples)
                let value = i == samples ? first : phi(ax + h * cos(theta), ar + h * sin(theta))
                m = min(m, 0.5 * (previous + value))
                previous = value
            }
            return m - 2 * h * Double.pi / Double(samples)
        }
        // h = g/4 is always infeasible-or-equal (φ moves by at most 2h on the ball); g/2 always feasible.
        var lo = g / 4, hi = g / 2
        if !(minimumBelow(lo) > 2 * lo) { return g / 4 }
        for _ in 0..<40 {
            let h = 0.5 * (lo + hi)
            if minimumBelow(h) > 2 * h { lo = h } else { hi = h }
        }
        return lo
    }
}
