// Three points of Rⁿ placed in a plane from their coordinates, so the three-point bounds never take the
// square root of a cancelling difference of squared distances.
import Linalg

/// A three-point subset {a, p, q} in plane coordinates: p at the origin, q at (pq, 0), a at (ax, ar)
/// with ar ≥ 0. Any three points of Rⁿ lie in a plane, and this placement is a rigid image of them, so
/// d_iso and d_haus of the subset are those of the triangle.
struct PlanarTriangle: Sendable, Equatable {
    var pq: Double
    var ax: Double
    var ar: Double

    var ap: Double { (ax * ax + ar * ar).squareRoot() }
    var aq: Double { ((ax - pq) * (ax - pq) + ar * ar).squareRoot() }

    init(pq: Double, ax: Double, ar: Double) {
        self.pq = pq
        self.ax = ax
        self.ar = ar
    }

    /// The triangle of rows a, p, q of `x`, from coordinates. With w = x_a − x_p and v = x_q − x_p:
    /// pq = ‖v‖, ax = w·v/‖v‖ and ar = ‖w − (w·v/‖v‖²)·v‖, a norm of a vector rather than √(ap² − ax²).
    ///
    /// Rounding (Higham §3.1): each coordinate of w and v carries one rounding; a norm or a dot product
    /// of length n adds at most γ_{n+1} relative to ‖w‖‖v‖, the division and the scaled subtraction a few
    /// more. So |Δpq|, |Δax| and |Δar| are each at most γ_{n+6}·D with D = max(‖w‖, ‖v‖) — an absolute
    /// error of the order of u·D, where computing ar = √(ap² − ax²) from distances errs by up to √u·D (the
    /// square root of a difference that cancels, as when a lies on the line through p and q). The
    /// computed triangle is then within δ = 2γ_{n+6}·D of a rigid image of the exact one at every vertex.
    init(_ x: Matrix<Double>, a: Int, p: Int, q: Int) {
        let n = x.cols
        var vv = 0.0, wv = 0.0
        for k in 0..<n {
            let v = x[q, k] - x[p, k], w = x[a, k] - x[p, k]
            vv += v * v
            wv += w * v
        }
        pq = vv.squareRoot()
        if pq > 0 {
            ax = wv / pq
            let t = wv / vv
            var rr = 0.0
            for k in 0..<n {
                let r = (x[a, k] - x[p, k]) - t * (x[q, k] - x[p, k])
                rr += r * r
            }
            ar = rr.squareRoot()
        } else {
            // p and q coincide: every placement of a at its distance is a rigid image.
            var ww = 0.0
            for k in 0..<n { let w = x[a, k] - x[p, k]; ww += w * w }
            ax = ww.squareRoot()
            ar = 0
        }
    }

    /// The triangle with these side lengths (for exact inputs, e.g. closed forms in tests). From
    /// distances the height `ar` errs by up to √u·max side when a is near the line through p and q;
    /// estimates use the coordinate initialiser.
    init(ap: Double, aq: Double, pq: Double) {
        self.pq = pq
        ax = pq > 0 ? (ap * ap + pq * pq - aq * aq) / (2 * pq) : ap
        ar = max(0, ap * ap - ax * ax).squareRoot()
    }

    /// The triangle with the roles of a and p exchanged: a at the origin, q on the axis, p off it.
    func swappingAnchor() -> PlanarTriangle {
        // Distances are what the planar placement preserves; recompute from them only when the
        // exchanged placement is needed, through coordinates of the current placement.
        let vx = pq - ax, vy = -ar             // q − a
        let wx = -ax, wy = -ar                 // p − a
        let aqLength = (vx * vx + vy * vy).squareRoot()
        guard aqLength > 0 else { return PlanarTriangle(pq: 0, ax: (wx * wx + wy * wy).squareRoot(), ar: 0) }
        let px = (wx * vx + wy * vy) / aqLength
        let pr = abs(wx * vy - wy * vx) / aqLength
        return PlanarTriangle(pq: aqLength, ax: px, ar: pr)
    }
}
