// A certified d_iso lower bound from four-point subsets of embeddings in n ≤ 2, where L/2 is loose.
//
// Proof. Let S be four points and f* triplet-separated with |d* − d| ≤ ε on the six pairs of S.
// (1) Separation: for each x ∈ S with a positive p and a negative q in S, d*(x,p) ≤ d*(x,q).
// (2) Geometry: four points of a plane have max distance ≥ √2 × min distance. If one lies in the
//     triangle of the other three, one of its three angles there is ≥ 2π/3; otherwise they are in
//     convex position (a degenerate quadrilateral included) and its angles sum to 2π, so one is ≥ π/2.
//     The side opposite an angle ≥ π/2 between sides x and y is ≥ √(x² + y²) ≥ √2·min(x, y). (Points
//     that coincide satisfy it trivially: min = 0.) On a line the largest distance is the sum of the
//     three gaps between consecutive points, so it is ≥ 3 × the smallest.
// So d* lies in the box [max(0, d − ε), d + ε], obeys the order (1) and has some pair i, j with
// d*_i ≥ c·d*_j (c = √2 in the plane, 3 on a line; then max ≥ d*_i ≥ c·d*_j ≥ c·min). If no such d*
// exists, d_iso(f|S) > ε, hence d_iso(f) > ε (a separated f* restricted to S is separated on S).
//
// The check is exact: the vectors obeying the box and the order form a lattice. After closing the
// order transitively and propagating the box (L_j = max of the lower ends below j, U_i = min of the
// upper ends above i), it is non-empty iff L ≤ U. For a pair (i, j) the largest d*_i − c·d*_j (c ≥ 1)
// is reached at d*_j = L_j with every pair below j lowered to min(U, L_j) and the rest at U: it is
// d*_i = min(U_i, L_j) when i lies below j in the order, U_i otherwise. Feasibility grows with ε, so
// bisection keeps an ε proven infeasible. On the unit square with the diagonals as classes this gives
// √2 − 1, the exact d_iso (twice L/2).
import Linalg

/// The four-point bound of `SubsetBounds` for sets in n ≤ 2.
struct PlanarQuadSearch {
    /// The largest ratio of two distances four points of Rⁿ must have (nil: none in n ≥ 3, where a
    /// regular tetrahedron has ratio 1).
    static func ratio(dimension: Int) -> Double? {
        switch dimension {
        case 1: return 3
        case 2: return 2.0.squareRoot()
        default: return nil
        }
    }

    /// Most fourth points tried per triplet (the nearest to the triplet's points first).
    static let fourthPointBudget = 256

    let f: LabeledPoints
    let d2: Matrix<Double>
    let ratio: Double?

    init(_ f: LabeledPoints, squaredDistances d2: Matrix<Double>) {
        self.f = f
        self.d2 = d2
        ratio = PlanarQuadSearch.ratio(dimension: f.dimension)
    }

    /// The best four-point bound above `above` among {a, p, q, x} for fourth points x, or nil.
    func best(a: Int, p: Int, q: Int, above: Double) -> (value: Double, points: [Int])? {
        guard let ratio, a != p, a != q, p != q else { return nil }
        let n = f.count
        // Fourth points nearest to the triplet (by their largest squared distance to it) first.
        var order = (0..<n).filter { $0 != a && $0 != p && $0 != q }
        func key(_ x: Int) -> Double { max(d2[x, a], d2[x, p], d2[x, q]) }
        if order.count > PlanarQuadSearch.fourthPointBudget {
            order.sort { key($0) < key($1) || (key($0) == key($1) && $0 < $1) }
            order.removeLast(order.count - PlanarQuadSearch.fourthPointBudget)
        }
        var best: (value: Double, points: [Int])?
        var floor = above
        for x in order {
            let points = [a, p, q, x]
            let quad = FourPoints(points.map { f.labels[$0] }, distances: FourPoints.pairs.map { d2[points[$0.0], points[$0.1]].squareRoot() })
            guard quad.hasConstraints, !quad.feasible(floor, ratio: ratio) else { continue }
            let value = quad.bound(ratio: ratio)
            if value > floor { floor = value; best = (value, points) }
        }
        return best
    }
}

/// Four labelled points: their six distances and the order separation imposes on them.
struct FourPoints {
    /// The six pairs, in this order.
    static let pairs = [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]

    let d: [Double]
    /// below[i][j]: pair i's distance must be ≤ pair j's in any separated f* (transitively closed, reflexive).
    let below: [[Bool]]
    /// Whether separation orders any two pairs at all.
    let hasConstraints: Bool

    init(_ labels: [Int], distances: [Double]) {
        d = distances
        func pair(_ x: Int, _ y: Int) -> Int { FourPoints.pairs.firstIndex { $0 == (min(x, y), max(x, y)) }! }
        var le = (0..<6).map { i in (0..<6).map { $0 == i } }
        var any = false
        for x in 0..<4 {
            for p in 0..<4 where p != x && labels[p] == labels[x] {
                for q in 0..<4 where labels[q] != labels[x] { le[pair(x, p)][pair(x, q)] = true; any = true }
            }
        }
        for k in 0..<6 { for i in 0..<6 where le[i][k] { for j in 0..<6 where le[k][j] { le[i][j] = true } } }
        below = le
        hasConstraints = any
    }

    /// Whether some distances within ε of these obey the order and have a pair with d_i ≥ ratio·d_j.
    func feasible(_ eps: Double, ratio: Double) -> Bool {
        var lower = [Double](repeating: 0, count: 6), upper = [Double](repeating: 0, count: 6)
        for j in 0..<6 {
            lower[j] = 0
            upper[j] = .infinity
            for i in 0..<6 where below[i][j] { lower[j] = max(lower[j], d[i] - eps) }
            for k in 0..<6 where below[j][k] { upper[j] = min(upper[j], d[k] + eps) }
            if lower[j] > upper[j] { return false }
        }
        for i in 0..<6 {
            for j in 0..<6 where j != i {
                let top = below[i][j] ? min(upper[i], lower[j]) : upper[i]
                if top >= ratio * lower[j] { return true }
            }
        }
        return false
    }

    /// The largest ε proven infeasible (bisection; ε = max d is always feasible: every lower end is 0).
    func bound(ratio: Double) -> Double {
        var lo = 0.0, hi = d.max() ?? 0
        if feasible(0, ratio: ratio) { return 0 }
        for _ in 0..<60 {
            let mid = 0.5 * (lo + hi)
            if feasible(mid, ratio: ratio) { hi = mid } else { lo = mid }
        }
        return lo
    }
}
