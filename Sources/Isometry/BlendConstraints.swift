// The separation constraints of the centroid blend (1 − t)·y + t·C(y) as functions of t, with the pairs
// that hold for every t set aside once, so the repair's bisection only evaluates the few that can bind.
import Linalg

/// Every cross-class constraint of the blend, "anchor a's farthest positive (times the rounding margin)
/// is no farther than its negative q", as a quadratic in t: along the blend, same-class squared distances
/// scale by s² (s = 1 − t) and a cross-class difference is s·u + t·v with u = y_a − y_q, v = c_A − c_B,
/// so the constraint reads s²·D2_aq + 2ts·(u·v) + t²·(v·v) ≥ s²·F_a·m.
///
/// `hold(at:)` answers exactly what evaluating that expression for every pair would answer (the same
/// floating-point expression, on the pairs that can fail), but only the pairs that can fail for some
/// t ∈ [0, 1] are kept. Why dropping the others changes no answer: with A = D2 − F·m the exact value is
/// q(t) = (s, t)·[[A, uv], [uv, vv]]·(s, t)ᵀ with s, t ≥ 0 and s + t = 1 (so s² + t² ≥ 1/2).
/// If uv ≥ 0, q ≥ s²A + t²vv ≥ min(A, vv)·(s² + t²) ≥ min(A, vv)/2. If uv < 0, q ≥ λ_min·(s² + t²)
/// ≥ λ_min/2, and λ_min = det/λ_max ≥ (A·vv − uv²)/(A + vv) when A, vv > 0. A pair is dropped when that
/// lower bound exceeds 1e-9·(D2 + 2|uv| + vv + F·m): evaluating the constraint in Double errs by at most
/// a few ulps of those magnitudes (about 1e-15 of them), and the bound's own rounding by about as much,
/// so the evaluated expression holds too, at every t. Which pairs are kept therefore changes speed only.
struct BlendConstraints {
    /// A constraint that may bind: its D2, u·v, v·v and the anchor's F (the values the expression uses).
    struct Pair { var d2, uv, vv, far: Double }

    let marginFactor: Double
    let threads: Int
    /// The pairs kept, in fixed chunks of anchors (the answer is a conjunction: the split does not matter).
    private(set) var chunks: [[Pair]]

    /// `yc`: y_i·c_k (N × k), `cc`: c_a·c_b (k × k), `farPositive`: each anchor's largest same-class
    /// squared distance, `marginFactor`: the rounding margin m.
    init(squaredDistances d2: Matrix<Double>, labels: [Int], classes k: Int, yc: [Double], cc: [Double], farPositive: [Double],
         marginFactor: Double, threads: Int) {
        self.marginFactor = marginFactor
        self.threads = threads
        let n = labels.count
        let anchors = RowChunks(size: 64, count: n)
        var chunks = [[Pair]](repeating: [], count: anchors.number)
        d2.storage.withUnsafeBufferPointer { d2p in
        yc.withUnsafeBufferPointer { ycp in
        cc.withUnsafeBufferPointer { ccp in
        labels.withUnsafeBufferPointer { lp in
        farPositive.withUnsafeBufferPointer { fp in
        chunks.withUnsafeMutableBufferPointer { lists in
            let D2 = d2p.baseAddress!, YC = ycp.baseAddress!, CC = ccp.baseAddress!, L = lp.baseAddress!, F = fp.baseAddress!
            let out = lists.baseAddress!
            parallelChunks(anchors.number, threads: threads) { chunk in
                for a in anchors.rows(chunk) {
                    let A = L[a]
                    let ya = YC + a * k
                    let far = F[a]
                    for q in 0..<n {
                        let B = L[q]
                        if B == A { continue }
                        let yq = YC + q * k
                        // The same expressions as the bisection always evaluated.
                        let uv = ya[A] - ya[B] - yq[A] + yq[B]
                        let vv = CC[A * k + A] - 2 * CC[A * k + B] + CC[B * k + B]
                        let pair = Pair(d2: D2[a * n + q], uv: uv, vv: vv, far: far)
                        if !BlendConstraints.holdsForEveryBlend(pair, marginFactor: marginFactor) { out[chunk].append(pair) }
                    }
                }
            }
        }
        }
        }
        }
        }
        }
        self.chunks = chunks
    }

    /// Whether the constraint certainly holds, as evaluated, for every t ∈ [0, 1] (see the type's proof).
    static func holdsForEveryBlend(_ p: Pair, marginFactor: Double) -> Bool {
        let fm = p.far * marginFactor
        let a = p.d2 - fm
        guard a > 0, p.vv > 0, a.isFinite, p.vv.isFinite, p.uv.isFinite else { return false }
        let lower = p.uv >= 0 ? 0.5 * Swift.min(a, p.vv) : 0.5 * (a * p.vv - p.uv * p.uv) / (a + p.vv)
        return lower > 1e-9 * (p.d2 + 2 * abs(p.uv) + p.vv + fm)
    }

    /// Whether every constraint holds at blend t, evaluated as s²·D2 + 2ts·uv + t²·vv < s²·F·m.
    func hold(at t: Double) -> Bool {
        let s = 1 - t, marginFactor = self.marginFactor
        var verdicts = [Bool](repeating: true, count: chunks.count)
        verdicts.withUnsafeMutableBufferPointer { v in
            let out = v.baseAddress!
            chunks.withUnsafeBufferPointer { lists in
                let base = lists.baseAddress!
                parallelChunks(lists.count, threads: threads) { chunk in
                    for p in base[chunk] where s * s * p.d2 + 2 * t * s * p.uv + t * t * p.vv < s * s * p.far * marginFactor {
                        out[chunk] = false
                        return
                    }
                }
            }
        }
        return verdicts.allSatisfy { $0 }
    }

    /// How many constraints were kept.
    var kept: Int { chunks.reduce(0) { $0 + $1.count } }
}
