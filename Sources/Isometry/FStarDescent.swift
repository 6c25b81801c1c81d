// One descent of the f* search: Adam on the coordinates of f*, a smooth maximum of the objective's terms
// plus a separation penalty, with the O(N²) terms restricted to an active set between full refreshes.
import Foundation
import Linalg

extension FStarSolver {
    /// Adam-style descent on the coordinates of f* (first moment per coordinate, one second moment
    /// per point, so steps are rotation-equivariant), minimising a log-sum-exp smooth maximum of the
    /// objective's terms (temperature lowered geometrically toward the exact max) plus a penalty on each
    /// anchor's separation violation (weight raised geometrically).
    ///
    /// Only a few of the N² pairs matter once the temperature is low: the pairs whose error is within
    /// the smooth max's cutoff of the top, and each anchor's farthest positive and nearest negative.
    /// A full O(N²·n) pass (GEMM) therefore also collects every pair that could matter until some point
    /// has moved by B/2 from where it was (B = `moveBudget`): a pair outside the set had its error below
    /// top − cutoff − 2B (or its distance beyond the anchor's extreme by 2B), and moves of at most B/2 per
    /// point change any distance by at most B, so it stays out. Until then iterations cost
    /// O(|set|·n) and compute the same gradient the full pass would (up to rounding); when the set is
    /// not small, the full pass is simply repeated.
    func descend(from start: Matrix<Double>, objective: Objective, schedule: ClosedRange<Double> = 0...1) {
        let count = n * dim
        let y = Buffer<Double>(count: count), anchorY = Buffer<Double>(count: count)
        y.load(start.storage)
        let m = Buffer<Double>(count: count), grad = Buffer<Double>(count: count), wy = Buffer<Double>(count: count)
        let d2 = Buffer<Double>(count: n * n), d = Buffer<Double>(count: n * n), w = Buffer<Double>(count: n * n)
        let norms = Buffer<Double>(count: n), rowSums = Buffer<Double>(count: n)
        let h = Buffer<Double>(count: n), hw = Buffer<Double>(count: n), v = Buffer<Double>(count: n)
        let candidateStart = Buffer<Double>(count: n + 1)  // offsets into `candidates` (as Double: Buffer is BLASReal)
        var active = [Int](), isoPairs = [Int](), candidates = [Int]()
        active.reserveCapacity(n * (n - 1) / 2)
        isoPairs.reserveCapacity(n * (n - 1) / 2)
        candidates.reserveCapacity(n * (n - 1))
        let (iterations, checkEvery) = options.schedule(count: n)
        let lr = 0.02 * unit
        let margin = 1e-3 * unit
        let moveBudget = 0.05 * unit
        // Beyond this size the active set saves little over the full pass.
        let sparseLimit = n * (n - 1) / 8
        var sparse = false
        var maxMove2 = 0.0
        let labels = f.labels
        fDistances.withUnsafeBufferPointer { fdBuffer in
        f.points.storage.withUnsafeBufferPointer { fpBuffer in
        labels.withUnsafeBufferPointer { labelBuffer in
            let fd = fdBuffer.baseAddress!, fp = fpBuffer.baseAddress!, label = labelBuffer.baseAddress!
            let Y = y.pointer, G = grad.pointer, D2 = d2.pointer, D = d.pointer, W = w.pointer
            @inline(__always) func distance(_ i: Int, _ j: Int) -> Double {
                var s = 0.0
                let yi = Y + i * dim, yj = Y + j * dim
                for k in 0..<dim { let t = yi[k] - yj[k]; s += t * t }
                return s.squareRoot()
            }
            // Sparse gradient: ∂/∂y_i of a term with derivative `derivative` in d_ij (0 at d = 0).
            @inline(__always) func addDirect(_ i: Int, _ j: Int, _ dij: Double, _ derivative: Double) {
                guard dij > 0 else { return }
                let c = derivative / dij
                let yi = Y + i * dim, yj = Y + j * dim, gi = G + i * dim, gj = G + j * dim
                for k in 0..<dim { let t = c * (yi[k] - yj[k]); gi[k] += t; gj[k] -= t }
            }
            for it in 0..<iterations {
                let progress = schedule.lowerBound + (schedule.upperBound - schedule.lowerBound) * Double(it) / Double(iterations)
                let tau = unit * 0.2 * pow(0.01, progress)
                let mu = 10 * pow(100, progress)
                // Step sizes shrink geometrically (×0.05 over the run) so the iterate settles as τ sharpens.
                let decay = pow(0.05, progress)
                let cutoffWidth = 20 * tau  // e⁻²⁰ ≈ 2e-9: terms farther below the top do not count
                G.update(repeating: 0, count: count)
                if sparse && 4 * maxMove2 > moveBudget * moveBudget { sparse = false }
                if !sparse {
                    // The full pass: all distances by GEMM, ∂/∂d²_ij into the upper triangle of W (zero
                    // outside `active`) with the row sums of the symmetric matrix, one DSYMM for the gradient.
                    pairwiseSquaredDistances(Y, count: n, dim: dim, into: D2, norms: norms.pointer)
                    Double.sqrt(D2, into: D, count: n * n)
                    rowSums.zero()
                    active.removeAll(keepingCapacity: true)
                    @inline(__always) func add(_ i: Int, _ j: Int, _ derivative: Double) {
                        let (lo, hi) = i < j ? (i, j) : (j, i)
                        let dij = D[lo * n + hi]
                        guard dij > 0 else { return }
                        let c = derivative / (2 * dij)
                        if W[lo * n + hi] == 0 { active.append(lo * n + hi) }
                        W[lo * n + hi] += c
                        rowSums[lo] += c
                        rowSums[hi] += c
                    }
                    isoPairs.removeAll(keepingCapacity: true)
                    candidates.removeAll(keepingCapacity: true)
                    if objective == .isometric {
                        var top = 0.0
                        for i in 0..<n { for j in (i + 1)..<n { top = Swift.max(top, abs(D[i * n + j] - fd[i * n + j])) } }
                        let cutoff = top - cutoffWidth
                        let keep = cutoff - 2 * moveBudget
                        var z = 0.0
                        for i in 0..<n {
                            for j in (i + 1)..<n {
                                let e = D[i * n + j] - fd[i * n + j]
                                if abs(e) < keep { continue }
                                if isoPairs.count <= sparseLimit { isoPairs.append(i * n + j) }
                                if abs(e) < cutoff { continue }
                                let (up, down) = (exp((e - top) / tau), exp((-e - top) / tau))
                                z += up + down
                                add(i, j, up - down)
                            }
                        }
                        if z > 0 {
                            let inv = 1 / z
                            for index in active { W[index] *= inv }
                            for i in 0..<n { rowSums[i] *= inv }
                        }
                    }
                    // Penalty μ·Σ_a [g(a) + margin]₊² / unit on the hardest positive and negative of each anchor;
                    // the candidates within 2B of either extreme are kept for the sparse iterations.
                    for a in 0..<n {
                        candidateStart[a] = Double(candidates.count)
                        var p = -1, q = -1
                        var far = -1.0, near = Double.infinity
                        let la = label[a]
                        let row = D + a * n
                        for j in 0..<n where j != a {
                            let dj = row[j]
                            if label[j] == la { if dj > far { far = dj; p = j } } else if dj < near { near = dj; q = j }
                        }
                        guard p >= 0, q >= 0 else { continue }
                        if candidates.count <= sparseLimit {
                            for j in 0..<n where j != a {
                                let dj = row[j]
                                if label[j] == la ? dj >= far - 2 * moveBudget : dj <= near + 2 * moveBudget { candidates.append(j) }
                            }
                        }
                        let violation = far - near + margin
                        if violation <= 0 { continue }
                        let g = 2 * mu * violation / unit
                        add(a, p, g)
                        add(a, q, -g)
                    }
                    candidateStart[n] = Double(candidates.count)
                    // ∂/∂y_i = 2·(Σ_j W_ij·y_i − Σ_j W_ij·y_j): one symmetric GEMM on the upper triangle,
                    // or pair by pair when few pairs carry weight (always so for the pointwise objective).
                    if active.count > n * n / 16 {
                        Double.symmUpper(m: n, n: dim, alpha: 1, a: W, lda: n, b: Y, ldb: dim, beta: 0, c: wy.pointer, ldc: dim)
                        for i in 0..<n {
                            let r = rowSums[i]
                            for k in 0..<dim { G[i * dim + k] += 2 * (r * Y[i * dim + k] - wy[i * dim + k]) }
                        }
                    } else {
                        for index in active {
                            let (i, j) = index.quotientAndRemainder(dividingBy: n)
                            addDirect(i, j, 1, 2 * W[index])
                        }
                    }
                    for index in active { W[index] = 0 }
                    sparse = isoPairs.count <= sparseLimit && candidates.count <= sparseLimit
                    if sparse { anchorY.pointer.update(from: Y, count: count); maxMove2 = 0 }
                } else {
                    if objective == .isometric {
                        var top = 0.0
                        for index in isoPairs {
                            let (i, j) = index.quotientAndRemainder(dividingBy: n)
                            let dij = distance(i, j)
                            D[index] = dij
                            top = Swift.max(top, abs(dij - fd[index]))
                        }
                        let cutoff = top - cutoffWidth
                        var z = 0.0
                        for index in isoPairs {
                            let e = abs(D[index] - fd[index])
                            if e >= cutoff { z += exp((e - top) / tau) + exp((-e - top) / tau) }
                        }
                        if z > 0 {
                            for index in isoPairs {
                                let e = D[index] - fd[index]
                                if abs(e) < cutoff { continue }
                                let weight = (exp((e - top) / tau) - exp((-e - top) / tau)) / z
                                let (i, j) = index.quotientAndRemainder(dividingBy: n)
                                addDirect(i, j, D[index], weight)
                            }
                        }
                    }
                    for a in 0..<n {
                        let first = Int(candidateStart[a]), end = Int(candidateStart[a + 1])
                        if first == end { continue }
                        var p = -1, q = -1
                        var far = -1.0, near = Double.infinity
                        let la = label[a]
                        for c in first..<end {
                            let j = candidates[c]
                            let dj = distance(a, j)
                            if label[j] == la { if dj > far { far = dj; p = j } } else if dj < near { near = dj; q = j }
                        }
                        guard p >= 0, q >= 0 else { continue }
                        let violation = far - near + margin
                        if violation <= 0 { continue }
                        let g = 2 * mu * violation / unit
                        addDirect(a, p, far, g)
                        addDirect(a, q, near, -g)
                    }
                }
                if objective == .pointwise {
                    var top = 0.0
                    for i in 0..<n {
                        var s = 0.0
                        for k in 0..<dim { let diff = Y[i * dim + k] - fp[i * dim + k]; s += diff * diff }
                        h[i] = s.squareRoot()
                        top = Swift.max(top, h[i])
                    }
                    var z = 0.0
                    for i in 0..<n { hw[i] = h[i] > 0 ? exp((h[i] - top) / tau) : 0; z += hw[i] }
                    if z > 0 {
                        for i in 0..<n where h[i] > 0 {
                            let c = hw[i] / z / h[i]
                            for k in 0..<dim { G[i * dim + k] += c * (Y[i * dim + k] - fp[i * dim + k]) }
                        }
                    }
                }
                // Adam step with one second moment per point (rotation-equivariant).
                let t = Double(it + 1)
                let bc1 = 1 - pow(0.9, t), bc2 = 1 - pow(0.999, t)
                let reference = anchorY.pointer
                for i in 0..<n {
                    var squares = 0.0
                    for k in 0..<dim { squares += G[i * dim + k] * G[i * dim + k] }
                    v[i] = 0.999 * v[i] + 0.001 * squares / Double(dim)
                    let step = lr * decay / bc1 / ((v[i] / bc2).squareRoot() + 1e-12 * unit)
                    var moved = 0.0
                    for k in 0..<dim {
                        m[i * dim + k] = 0.9 * m[i * dim + k] + 0.1 * G[i * dim + k]
                        Y[i * dim + k] -= step * m[i * dim + k]
                        let delta = Y[i * dim + k] - reference[i * dim + k]
                        moved += delta * delta
                    }
                    maxMove2 = Swift.max(maxMove2, moved)
                }
                if (it + 1) % checkEvery == 0 || it == iterations - 1 {
                    consider(Matrix(rows: n, cols: dim, storage: y.array))
                }
            }
        }
        }
        }
    }
}
