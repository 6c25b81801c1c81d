// One descent of the f* search: Adam on the coordinates of f*, a smooth maximum of the objective's terms
// plus a separation penalty, with the O(N²) terms restricted to an active set between full refreshes.
// `descend` runs the iterations; `FStarDescent` holds one descent's buffers and its passes (the full
// pass, the sparse pass, the pointwise term and the Adam step).
import Foundation
import Linalg

extension FStarSolver {
    /// Adam-style descent on the coordinates of f* (first moment per coordinate, one second moment
    /// per point, so steps are rotation-equivariant; see `FStarDescent.stepCoordinates`), minimising a log-sum-exp smooth maximum of the
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
        let (iterations, checkEvery) = options.schedule(count: n)
        fDistances.withUnsafeBufferPointer { fd in
        f.points.storage.withUnsafeBufferPointer { fp in
        f.labels.withUnsafeBufferPointer { labels in
            var descent = FStarDescent(n: n, dim: dim, unit: unit, objective: objective, start: start, threads: options.threads,
                                       single: singlePrecision, work: workspace, fd: fd.baseAddress!, fp: fp.baseAddress!,
                                       label: labels.baseAddress!)
            for it in 0..<iterations {
                let progress = schedule.lowerBound + (schedule.upperBound - schedule.lowerBound) * Double(it) / Double(iterations)
                let annealing = FStarDescent.Annealing(unit: unit, progress: progress)
                descent.gradient(annealing)
                descent.adamStep(iteration: it, decay: annealing.decay)
                if (it + 1) % checkEvery == 0 || it == iterations - 1 {
                    consider(descent.current)
                }
            }
            descent.finish(into: workspace)
        }
        }
        }
    }
}

/// One descent's state: the iterate, Adam's moments, the distance and weight matrices of the full pass,
/// and the active sets the sparse iterations use, in buffers borrowed from the search's `FStarWorkspace`;
/// no iteration allocates.
/// A struct with mutating passes (not a class), so its lists and counters are accessed statically, with
/// no runtime exclusivity checks in the inner loops.
struct FStarDescent {
    /// The schedule at one point of the run (`progress` from 0 to 1).
    struct Annealing {
        /// Temperature of the smooth maximum, lowered ×0.01 over the run toward the exact max.
        let tau: Double
        /// Weight of the separation penalty, raised ×100 over the run.
        let mu: Double
        /// Step sizes shrink geometrically (×0.05 over the run) so the iterate settles as τ sharpens.
        let decay: Double
        /// e⁻²⁰ ≈ 2e-9: terms farther below the top than this do not count.
        let cutoffWidth: Double

        init(unit: Double, progress: Double) {
            tau = unit * 0.2 * pow(0.01, progress)
            mu = 10 * pow(100, progress)
            decay = pow(0.05, progress)
            cutoffWidth = 20 * tau
        }
    }

    let n: Int, dim: Int, count: Int
    let unit: Double, lr: Double, margin: Double, moveBudget: Double
    let objective: FStarSolver.Objective
    /// Threads of the full pass's distances (fixed blocks: the values do not depend on it).
    let threads: Int
    /// Beyond this size the active set saves little over the full pass.
    let sparseLimit: Int
    /// f's pairwise distances (n × n), f's points (n × dim), the labels.
    let fd: UnsafePointer<Double>, fp: UnsafePointer<Double>, label: UnsafePointer<Int>
    let y: Buffer<Double>, anchorY: Buffer<Double>, m: Buffer<Double>, grad: Buffer<Double>, wy: Buffer<Double>
    let d2: Buffer<Double>, d: Buffer<Double>, w: Buffer<Double>
    /// The large-set path (`FStarSolver.singlePrecision`): the full pass's products in Float32, and the
    /// per-point sums (distances, the Adam step's norms) over eight lanes in a fixed order. About twice
    /// as fast; other last bits than the reference path, which sets of up to `FStarOptions.largeSet`
    /// points keep.
    let single: Bool
    /// With `single`: the iterate in Float32, the Float32 scratch of the products (the Gram blocks, then
    /// the weights) and W·Y in Float32.
    let yf: Buffer<Float>, gf: Buffer<Float>, wyf: Buffer<Float>
    let norms: Buffer<Double>, rowSums: Buffer<Double>, h: Buffer<Double>, hw: Buffer<Double>, v: Buffer<Double>
    /// Offsets into `candidates` per anchor (as Double: Buffer is BLASReal).
    let candidateStart: Buffer<Double>
    /// Per anchor, from the full pass's scan: its farthest positive, nearest negative (as Double: Buffer
    /// is BLASReal; −1 for none), their distances, and where its candidates end in its chunk's list.
    let extremes: Buffer<Double>
    /// The fixed chunks of rows (anchors) the full pass spreads over the threads, and per chunk: the
    /// penalty scan's candidate list, the isometric term's pairs and its largest error.
    let rows: RowChunks
    let chunkLists: ChunkLists<Int>
    let isometricLists: ChunkLists<IsometricPair>
    let chunkTops: Buffer<Double>
    /// Per chunk of points: the largest squared move of the Adam step.
    let chunkMoves: Buffer<Double>
    /// Each point's class members, and per chunk of rows n columns of scratch for the penalty scan's
    /// negatives.
    let classes: ClassMembers
    let scanColumns: UnsafeMutablePointer<Int>
    /// The buffers' memory, read in the inner loops without going through their owners.
    let Y: UnsafeMutablePointer<Double>, G: UnsafeMutablePointer<Double>, D: UnsafeMutablePointer<Double>
    let W: UnsafeMutablePointer<Double>, rowSum: UnsafeMutablePointer<Double>
    /// Upper-triangle indices carrying weight in this full pass; pairs the isometric term may need; each
    /// anchor's positives and negatives near its extremes.
    var active = [Int](), isoPairs = [Int](), candidates = [Int]()
    var sparse = false
    var maxMove2 = 0.0

    /// `work`: the buffers, allocated once per search for all its descents (`FStarWorkspace`).
    init(n: Int, dim: Int, unit: Double, objective: FStarSolver.Objective, start: Matrix<Double>, threads: Int, single: Bool,
         work: FStarWorkspace, fd: UnsafePointer<Double>, fp: UnsafePointer<Double>, label: UnsafePointer<Int>) {
        (self.n, self.dim, count, self.unit, self.objective) = (n, dim, n * dim, unit, objective)
        self.threads = threads
        (self.fd, self.fp, self.label) = (fd, fp, label)
        lr = 0.02 * unit
        margin = 1e-3 * unit
        moveBudget = 0.05 * unit
        sparseLimit = n * (n - 1) / 8
        self.single = single
        (y, anchorY, m, grad, wy) = (work.y, work.anchorY, work.m, work.grad, work.wy)
        (d2, d, w) = (work.d2, work.d, work.w)
        (yf, gf, wyf) = (work.yf, work.gf, work.wyf)
        (norms, rowSums, h, hw, v) = (work.norms, work.rowSums, work.h, work.hw, work.v)
        (candidateStart, extremes) = (work.candidateStart, work.extremes)
        rows = RowChunks(size: 64, count: n)
        (chunkLists, isometricLists, chunkTops, chunkMoves) = (work.chunkLists, work.isometricLists, work.chunkTops, work.chunkMoves)
        (classes, scanColumns) = (work.classes, work.scanColumns)
        (Y, G, D, W, rowSum) = (y.pointer, grad.pointer, d.pointer, w.pointer, rowSums.pointer)
        // A fresh descent: the start, no momentum, no weights (a full pass leaves W zero; cleared anyway).
        y.load(start.storage)
        m.zero()
        v.zero()
        w.zero()
        swap(&active, &work.active)
        swap(&isoPairs, &work.isoPairs)
        swap(&candidates, &work.candidates)
    }

    /// Hands the lists back to the workspace (with their capacity) for the next descent.
    mutating func finish(into work: FStarWorkspace) {
        swap(&active, &work.active)
        swap(&isoPairs, &work.isoPairs)
        swap(&candidates, &work.candidates)
    }

    var current: Matrix<Double> { Matrix(rows: n, cols: dim, storage: y.array) }

    /// The gradient of this iteration into `grad`: the full pass when the active sets may be stale
    /// (some point moved B/2 since they were made), the sparse pass otherwise; then the pointwise term.
    mutating func gradient(_ a: Annealing) {
        G.update(repeating: 0, count: count)
        if sparse && 4 * maxMove2 > moveBudget * moveBudget { sparse = false }
        if !sparse { fullPass(a) } else { sparsePass(a) }
        if objective == .pointwise { pointwiseTerm(a) }
    }

    @inline(__always) func distance(_ i: Int, _ j: Int) -> Double {
        let yi = Y + i * dim, yj = Y + j * dim
        if single { return laneSquaredDistance(yi, yj, count: dim).squareRoot() }
        var s = 0.0
        for k in 0..<dim { let t = yi[k] - yj[k]; s += t * t }
        return s.squareRoot()
    }

    /// Sparse gradient: ∂/∂y_i of a term with derivative `derivative` in d_ij (0 at d = 0).
    @inline(__always) func addDirect(_ i: Int, _ j: Int, _ dij: Double, _ derivative: Double) {
        guard dij > 0 else { return }
        let c = derivative / dij
        let yi = Y + i * dim, yj = Y + j * dim, gi = G + i * dim, gj = G + j * dim
        for k in 0..<dim { let t = c * (yi[k] - yj[k]); gi[k] += t; gj[k] -= t }
    }

    /// Full pass: ∂/∂d²_ij into the upper triangle of W (zero outside `active`) with its row sums.
    @inline(__always) func addWeight(_ i: Int, _ j: Int, _ derivative: Double, _ active: inout [Int]) {
        let n = self.n, D = self.D, W = self.W, rowSum = self.rowSum
        let (lo, hi) = i < j ? (i, j) : (j, i)
        let dij = D[lo * n + hi]
        guard dij > 0 else { return }
        let c = derivative / (2 * dij)
        if W[lo * n + hi] == 0 { active.append(lo * n + hi) }
        W[lo * n + hi] += c
        rowSum[lo] += c
        rowSum[hi] += c
    }

    /// The full pass: all distances by GEMM, the isometric term and the separation penalty as weights,
    /// one DSYMM for the gradient; it also collects the active sets of the sparse iterations.
    mutating func fullPass(_ a: Annealing) {
        let (n, rows, squares, D) = (self.n, self.rows, d2.pointer, self.D)
        if single {
            mixedPairwiseDistances(Y, count: n, dim: dim, single: yf.pointer, gram: gf.pointer, into: D, norms: norms.pointer, threads: threads)
        } else {
            blockedPairwiseSquaredDistances(Y, count: n, dim: dim, into: squares, norms: norms.pointer, threads: threads)
            parallelChunks(rows.number, threads: threads) { c in
                let r = rows.rows(c)
                Double.sqrt(squares + r.lowerBound * n, into: D + r.lowerBound * n, count: r.count * n)
            }
        }
        rowSums.zero()
        // The lists are worked on as locals (the passes do not mutate self, so the inner loops keep
        // n, D, W in registers across their stores) and put back.
        var (active, isoPairs, candidates) = ([Int](), [Int](), [Int]())
        swap(&active, &self.active)
        swap(&isoPairs, &self.isoPairs)
        swap(&candidates, &self.candidates)
        active.removeAll(keepingCapacity: true)
        isoPairs.removeAll(keepingCapacity: true)
        candidates.removeAll(keepingCapacity: true)
        let iso = objective == .isometric ? isometricWeights(a, &active, &isoPairs) : IsometricPass(denseScale: nil, listed: true)
        penaltyWeights(a, &active, &candidates)
        applyWeights(active, isoScale: iso.denseScale)
        sparse = iso.listed && isoPairs.count <= sparseLimit && candidates.count <= sparseLimit
        swap(&active, &self.active)
        swap(&isoPairs, &self.isoPairs)
        swap(&candidates, &self.candidates)
        if sparse { anchorY.pointer.update(from: Y, count: count); maxMove2 = 0 }
    }

    /// What the isometric term's weights of a full pass left for `applyWeights` and the sparse iterations.
    struct IsometricPass {
        /// Set when the weights were written as a dense Float32 matrix, unnormalised, into the products'
        /// scratch (`denseIsometricWeights`): the factor (1/z) that normalises them.
        var denseScale: Double?
        /// Whether `isoPairs` lists every pair the sparse iterations would need (false: too many to list).
        var listed: Bool
    }

    /// The isometric term's weights: the smooth max of |d_ij − f_ij| over the pairs within the cutoff
    /// of the top; pairs within 2B more are kept for the sparse iterations. On the large-set path, when
    /// most pairs carry weight (high temperature), they go to `denseIsometricWeights` instead.
    func isometricWeights(_ a: Annealing, _ active: inout [Int], _ isoPairs: inout [Int]) -> IsometricPass {
        let n = self.n, D = self.D, fd = self.fd, W = self.W, rowSum = self.rowSum, sparseLimit = self.sparseLimit
        let rows = self.rows, tops = chunkTops.pointer
        // The O(N²) passes on the threads, rows in fixed chunks: the largest error (a maximum: the same
        // for any split), then each chunk's pairs near it with their smooth-max terms.
        parallelChunks(rows.number, threads: threads) { chunk in
            var top = 0.0
            for i in rows.rows(chunk) { for j in (i + 1)..<n { top = Swift.max(top, abs(D[i * n + j] - fd[i * n + j])) } }
            tops[chunk] = top
        }
        let top = (0..<rows.number).reduce(0.0) { Swift.max($0, tops[$1]) }
        let cutoff = top - a.cutoffWidth
        let keep = cutoff - 2 * moveBudget
        if single {
            // Count first (no lists): when most pairs carry weight, listing them cost more than the
            // products of the pass (2,000 points: 32-byte entries for all 2 M pairs, read three times).
            let (weightedCounts, keptCounts) = (chunkTops.pointer, chunkMoves.pointer)  // free: the top is taken
            parallelChunks(rows.number, threads: threads) { chunk in
                var (weighted, kept) = (0, 0)
                for i in rows.rows(chunk) {
                    for j in (i + 1)..<n {
                        let e = abs(D[i * n + j] - fd[i * n + j])
                        if e >= keep { kept += 1 }
                        if e >= cutoff { weighted += 1 }
                    }
                }
                (weightedCounts[chunk], keptCounts[chunk]) = (Double(weighted), Double(kept))
            }
            let weighted = (0..<rows.number).reduce(0.0) { $0 + weightedCounts[$1] }
            let kept = (0..<rows.number).reduce(0.0) { $0 + keptCounts[$1] }
            if weighted > Double(n * n / 16) {
                return denseIsometricWeights(a, top: top, cutoff: cutoff, keep: keep, listing: kept <= Double(sparseLimit), &isoPairs)
            }
        }
        isometricLists.lists.withUnsafeMutableBufferPointer { lists in
            let listBase = lists.baseAddress!
            parallelChunks(rows.number, threads: threads) { chunk in
                listBase[chunk].removeAll(keepingCapacity: true)
                for i in rows.rows(chunk) {
                    for j in (i + 1)..<n {
                        let e = D[i * n + j] - fd[i * n + j]
                        if abs(e) < keep { continue }
                        let weighted = abs(e) >= cutoff
                        listBase[chunk].append(IsometricPair(index: i * n + j, up: weighted ? exp((e - top) / a.tau) : 0,
                                                             down: weighted ? exp((-e - top) / a.tau) : 0, weighted: weighted))
                    }
                }
            }
        }
        // Then in row order, as one thread would: the sparse pairs, the normaliser and the weights.
        var z = 0.0
        for list in isometricLists.lists {
            for pair in list {
                if isoPairs.count <= sparseLimit { isoPairs.append(pair.index) }
                if !pair.weighted { continue }
                z += pair.up + pair.down
                let (i, j) = pair.index.quotientAndRemainder(dividingBy: n)
                addWeight(i, j, pair.up - pair.down, &active)
            }
        }
        if z > 0 {
            let inv = 1 / z
            for index in active { W[index] *= inv }
            for i in 0..<n { rowSum[i] *= inv }
        }
        return IsometricPass(denseScale: nil, listed: true)
    }

    /// The large-set path when most pairs carry weight (high temperature): each pair's unnormalised
    /// weight written straight into the Float32 scratch `gf` (its upper triangle; the Gram products there
    /// are used up) by the chunks of rows on the threads, the normaliser summed per chunk and then in
    /// chunk order; no lists of weighted pairs, no active list and no row sums (`applyWeights(isoScale:)`
    /// scales these weights, adds the penalty's from W and takes the row sums). With `listing`, the
    /// pairs within `keep` go to `isoPairs` in row order (else there are more than the sparse
    /// iterations take, and none are listed).
    ///
    /// One exponential per pair: the two terms exp((±e − top)/τ) have the product C = exp(−2·top/τ), so
    /// the smaller is C over the larger. The larger is at least e⁻²⁰ (|e| ≥ top − 20τ), so the quotient
    /// never overflows; when C underflows, the smaller is below e⁻⁶⁶⁸ of the larger and adds nothing in
    /// Double anyway.
    func denseIsometricWeights(_ a: Annealing, top: Double, cutoff: Double, keep: Double, listing: Bool, _ isoPairs: inout [Int]) -> IsometricPass {
        let (n, D, fd, wf, rows, threads, tau) = (self.n, self.D, self.fd, gf.pointer, self.rows, self.threads, a.tau)
        let c = exp(-2 * top / tau)
        let sums = chunkTops.pointer
        chunkLists.lists.withUnsafeMutableBufferPointer { lists in
            let listBase = lists.baseAddress!
            parallelChunks(rows.number, threads: threads) { chunk in
                if listing { listBase[chunk].removeAll(keepingCapacity: true) }
                var z = 0.0
                for i in rows.rows(chunk) {
                    let row = wf + i * n
                    row[i] = 0  // (the lower triangle is the mirror's)
                    for j in (i + 1)..<n {
                        let dij = D[i * n + j], e = dij - fd[i * n + j], magnitude = abs(e)
                        if listing && magnitude >= keep { listBase[chunk].append(i * n + j) }
                        guard magnitude >= cutoff else { row[j] = 0; continue }
                        let large = exp((magnitude - top) / tau), small = c / large
                        z += large + small
                        let difference = e >= 0 ? large - small : small - large
                        row[j] = dij > 0 ? Float(difference / (2 * dij)) : 0
                    }
                }
                sums[chunk] = z
            }
        }
        if listing { for list in chunkLists.lists { isoPairs.append(contentsOf: list) } }
        let z = (0..<rows.number).reduce(0.0) { $0 + sums[$1] }
        return IsometricPass(denseScale: z > 0 ? 1 / z : 0, listed: listing)
    }

    /// Penalty μ·Σ_a [g(a) + margin]₊² / unit on the hardest positive and negative of each anchor; the
    /// candidates within 2B of either extreme are kept for the sparse iterations.
    func penaltyWeights(_ s: Annealing, _ active: inout [Int], _ candidates: inout [Int]) {
        // Everything the loops read, as locals: the optimiser then keeps them in registers across the appends.
        let n = self.n, D = self.D, label = self.label, starts = candidateStart.pointer, E = extremes.pointer
        let reach = 2 * moveBudget, sparseLimit = self.sparseLimit, margin = self.margin, unit = self.unit
        let rows = self.rows, per = rows.size
        // The O(N²) scan, anchors in fixed chunks on the threads: each chunk writes its anchors' extremes
        // and its own candidate list (a chunk stops listing past the sparse limit: the list is then unused).
        // A row's positives are few: they are read from the anchor's class list (`FStarWorkspace.classes`),
        // in column order; its negatives by vectorised scans (`nearestOtherClass`, `otherClassColumns`).
        // A candidate list holds the positives, then the negatives: the sparse pass picks the first
        // extreme of each kind in column order either way, as the full scan does.
        let classes = self.classes, columnScratch = scanColumns
        chunkLists.lists.withUnsafeMutableBufferPointer { lists in
            let listBase = lists.baseAddress!
            parallelChunks(rows.number, threads: threads) { chunk in
                listBase[chunk].removeAll(keepingCapacity: true)
                let columns = columnScratch + chunk * n
                for a in rows.rows(chunk) {
                    var p = -1, q = -1
                    var far = -1.0, near = Double.infinity
                    let la = label[a]
                    let row = D + a * n
                    let positives = classes.members(of: a)
                    for j in positives where j != a {
                        let dj = row[j]
                        if dj > far { far = dj; p = j }
                    }
                    if let nearest = nearestOtherClass(row, labels: label, label: la, count: n) { (q, near) = nearest }
                    (E[5 * a], E[5 * a + 1], E[5 * a + 2], E[5 * a + 3]) = (Double(p), Double(q), far, near)
                    if p >= 0, q >= 0, listBase[chunk].count <= sparseLimit {
                        let farCut = far - reach
                        for j in positives where j != a && row[j] >= farCut { listBase[chunk].append(j) }
                        let found = otherClassColumns(row, labels: label, label: la, count: n, within: near + reach, into: columns)
                        listBase[chunk].append(contentsOf: UnsafeBufferPointer(start: columns, count: found))
                    }
                    E[5 * a + 4] = Double(listBase[chunk].count)
                }
            }
        }
        // Then in anchor order, as one thread would: the lists' offsets and the penalty's weights.
        // (Past the sparse limit the lists and offsets are left incomplete: they are not used then.)
        var base = 0
        for a in 0..<n {
            if a % per == 0 {
                base = candidates.count
                if candidates.count <= sparseLimit { candidates.append(contentsOf: chunkLists.lists[a / per]) }
            }
            starts[a] = Double(base) + (a % per == 0 ? 0 : E[5 * (a - 1) + 4])
            let p = Int(E[5 * a]), q = Int(E[5 * a + 1])
            guard p >= 0, q >= 0 else { continue }
            let violation = E[5 * a + 2] - E[5 * a + 3] + margin
            if violation <= 0 { continue }
            let g = 2 * s.mu * violation / unit
            addWeight(a, p, g, &active)
            addWeight(a, q, -g, &active)
        }
        starts[n] = Double(base) + (n > 0 ? E[5 * (n - 1) + 4] : 0)
    }

    /// ∂/∂y_i = 2·(Σ_j W_ij·y_i − Σ_j W_ij·y_j): one symmetric GEMM on the upper triangle, or pair by
    /// pair when few pairs carry weight (always so for the pointwise objective); W is left zero.
    /// `isoScale`: the isometric term's weights are in `gf`, unnormalised (`denseIsometricWeights`):
    /// they are scaled by it and W's added.
    func applyWeights(_ active: [Int], isoScale: Double? = nil) {
        if isoScale != nil || (active.count > n * n / 16 && single) {
            // W in Float32, made symmetric, then W·Y by fixed chunks of rows, each its own SGEMM, on the
            // threads (one SYMM call would run on one: OpenBLAS runs one thread per call here). yf holds
            // this iterate (the distances of this full pass were taken from it).
            let (n, dim, rows, threads) = (self.n, self.dim, self.rows, self.threads)
            let (wf, product, yfp, Y, G, W) = (gf.pointer, wyf.pointer, yf.pointer, self.Y, self.G, self.W)
            // The row sums are taken from the Float32 weights (all of them: a dense isometric pass leaves
            // none in rowSum), and W is cleared as it is read.
            parallelChunks(rows.number, threads: threads) { c in
                let r = rows.rows(c)
                for i in r {
                    if let scale = isoScale {
                        for j in i..<n { wf[i * n + j] = Float(Double(wf[i * n + j]) * scale + W[i * n + j]) }
                    } else {
                        for j in i..<n { wf[i * n + j] = Float(W[i * n + j]) }
                    }
                    (W + i * n + i).update(repeating: 0, count: n - i)
                }
                mirrorUpperTriangle(rows: r, count: n, in: wf)
            }
            parallelChunks(rows.number, threads: threads) { c in
                let r = rows.rows(c)
                Float.gemm(transA: false, transB: false, m: r.count, n: dim, k: n, alpha: 1, a: wf + r.lowerBound * n, lda: n, b: yfp, ldb: dim,
                           beta: 0, c: product + r.lowerBound * dim, ldc: dim)
                for i in r {
                    var ri = 0.0
                    for j in 0..<n { ri += Double(wf[i * n + j]) }
                    for k in 0..<dim { G[i * dim + k] += 2 * (ri * Y[i * dim + k] - Double(product[i * dim + k])) }
                }
            }
        } else if active.count > n * n / 16 {
            Double.symmUpper(m: n, n: dim, alpha: 1, a: W, lda: n, b: Y, ldb: dim, beta: 0, c: wy.pointer, ldc: dim)
            for i in 0..<n {
                let r = rowSum[i]
                for k in 0..<dim { G[i * dim + k] += 2 * (r * Y[i * dim + k] - wy[i * dim + k]) }
            }
        } else {
            for index in active {
                let (i, j) = index.quotientAndRemainder(dividingBy: n)
                addDirect(i, j, 1, 2 * W[index])
            }
        }
        for index in active { W[index] = 0 }
    }

    /// A sparse iteration: the same gradient from the active sets alone, O(|set|·n).
    func sparsePass(_ a: Annealing) {
        if objective == .isometric { sparseIsometric(a) }
        let n = self.n, label = self.label, starts = candidateStart.pointer, candidates = self.candidates
        for anchor in 0..<n {
            let first = Int(starts[anchor]), end = Int(starts[anchor + 1])
            if first == end { continue }
            var p = -1, q = -1
            var far = -1.0, near = Double.infinity
            let la = label[anchor]
            for c in first..<end {
                let j = candidates[c]
                let dj = distance(anchor, j)
                if label[j] == la { if dj > far { far = dj; p = j } } else if dj < near { near = dj; q = j }
            }
            guard p >= 0, q >= 0 else { continue }
            let violation = far - near + margin
            if violation <= 0 { continue }
            let g = 2 * a.mu * violation / unit
            addDirect(anchor, p, far, g)
            addDirect(anchor, q, near, -g)
        }
    }

    func sparseIsometric(_ a: Annealing) {
        let n = self.n, D = self.D, fd = self.fd, isoPairs = self.isoPairs
        var top = 0.0
        for index in isoPairs {
            let (i, j) = index.quotientAndRemainder(dividingBy: n)
            let dij = distance(i, j)
            D[index] = dij
            top = Swift.max(top, abs(dij - fd[index]))
        }
        let cutoff = top - a.cutoffWidth
        var z = 0.0
        for index in isoPairs {
            let e = abs(D[index] - fd[index])
            if e >= cutoff { z += exp((e - top) / a.tau) + exp((-e - top) / a.tau) }
        }
        guard z > 0 else { return }
        for index in isoPairs {
            let e = D[index] - fd[index]
            if abs(e) < cutoff { continue }
            let weight = (exp((e - top) / a.tau) - exp((-e - top) / a.tau)) / z
            let (i, j) = index.quotientAndRemainder(dividingBy: n)
            addDirect(i, j, D[index], weight)
        }
    }

    /// The pointwise objective's term: the smooth max of ‖y_i − f_i‖. The per-point parts run in fixed
    /// chunks on the threads; the normaliser is summed in point order, as one thread would.
    func pointwiseTerm(_ a: Annealing) {
        let dim = self.dim, Y = self.Y, G = self.G, fp = self.fp, H = h.pointer, HW = hw.pointer, rows = self.rows, single = self.single
        parallelChunks(rows.number, threads: threads) { chunk in
            for i in rows.rows(chunk) {
                if single { H[i] = laneSquaredDistance(Y + i * dim, fp + i * dim, count: dim).squareRoot(); continue }
                var s = 0.0
                for k in 0..<dim { let diff = Y[i * dim + k] - fp[i * dim + k]; s += diff * diff }
                H[i] = s.squareRoot()
            }
        }
        var top = 0.0
        for i in 0..<n { top = Swift.max(top, H[i]) }
        let tau = a.tau
        parallelChunks(rows.number, threads: threads) { chunk in
            for i in rows.rows(chunk) { HW[i] = H[i] > 0 ? exp((H[i] - top) / tau) : 0 }
        }
        var z = 0.0
        for i in 0..<n { z += HW[i] }
        guard z > 0 else { return }
        parallelChunks(rows.number, threads: threads) { chunk in
            for i in rows.rows(chunk) where H[i] > 0 {
                let c = HW[i] / z / H[i]
                for k in 0..<dim { G[i * dim + k] += c * (Y[i * dim + k] - fp[i * dim + k]) }
            }
        }
    }

    /// A point's second moment is its gradient's squared norm over min(n, this) coordinates, so its step
    /// is about lr·√min(n, 32) in norm whatever the dimension n. Averaged over all n coordinates (as
    /// before), the step grew as lr·√n: at n = 512 every point moved several move budgets per iteration,
    /// so every iteration was a full pass, and the descents overshot. Measured on six sets of 1,500 to
    /// 2,000 points in R³² to R⁵¹² (`bench analyze`, the probe): the d_iso ratio went from 1.0–2.3 to
    /// 1.0–1.6 with the same iterations (docs/estimators.md, *Estimators at scale*). Up to n = 32 nothing changes,
    /// bit for bit (so `bench estimators`' sets keep their brackets).
    static let stepCoordinates = 32

    /// Adam step with one second moment per point (rotation-equivariant); tracks the largest move since
    /// the active sets were made.
    mutating func adamStep(iteration it: Int, decay: Double) {
        maxMove2 = Swift.max(maxMove2, step(iteration: it, decay: decay))
    }

    /// The step itself; returns the largest squared move of a point from the anchor iterate. Points in
    /// fixed chunks on the threads (each point's arithmetic is its own; the largest move is a maximum).
    func step(iteration it: Int, decay: Double) -> Double {
        let dim = self.dim, Y = self.Y, G = self.G, rows = self.rows, moves = chunkMoves.pointer
        let M = m.pointer, reference = anchorY.pointer, V = v.pointer, single = self.single
        let t = Double(it + 1)
        let bc1 = 1 - pow(0.9, t), bc2 = 1 - pow(0.999, t)
        let (lr, unit) = (self.lr, self.unit)
        let stepCoordinates = Double(Swift.min(dim, FStarDescent.stepCoordinates))
        parallelChunks(rows.number, threads: threads) { chunk in
            var maxMove2 = 0.0
            for i in rows.rows(chunk) {
                if single {
                    // The same update with its two sums over lanes (the loop in between vectorises).
                    let g = G + i * dim, m = M + i * dim, y = Y + i * dim
                    V[i] = 0.999 * V[i] + 0.001 * laneSumOfSquares(g, count: dim) / stepCoordinates
                    let step = lr * decay / bc1 / ((V[i] / bc2).squareRoot() + 1e-12 * unit)
                    for k in 0..<dim {
                        m[k] = 0.9 * m[k] + 0.1 * g[k]
                        y[k] -= step * m[k]
                    }
                    maxMove2 = Swift.max(maxMove2, laneSquaredDistance(y, reference + i * dim, count: dim))
                    continue
                }
                var squares = 0.0
                for k in 0..<dim { squares += G[i * dim + k] * G[i * dim + k] }
                V[i] = 0.999 * V[i] + 0.001 * squares / stepCoordinates
                let step = lr * decay / bc1 / ((V[i] / bc2).squareRoot() + 1e-12 * unit)
                var moved = 0.0
                for k in 0..<dim {
                    M[i * dim + k] = 0.9 * M[i * dim + k] + 0.1 * G[i * dim + k]
                    Y[i * dim + k] -= step * M[i * dim + k]
                    let delta = Y[i * dim + k] - reference[i * dim + k]
                    moved += delta * delta
                }
                maxMove2 = Swift.max(maxMove2, moved)
            }
            moves[chunk] = maxMove2
        }
        return (0..<rows.number).reduce(0.0) { Swift.max($0, moves[$1]) }
    }
}

/// The buffers of a search's descents, allocated once (about 3·N² Doubles, plus N² Float32 on the
/// large-set path) instead of once per descent: allocating and zeroing them again cost more than some
/// descents at 2,000 points. A class: the descents borrow it one at a time.
final class FStarWorkspace {
    let y: Buffer<Double>, anchorY: Buffer<Double>, m: Buffer<Double>, grad: Buffer<Double>, wy: Buffer<Double>
    let d2: Buffer<Double>, d: Buffer<Double>, w: Buffer<Double>
    let yf: Buffer<Float>, gf: Buffer<Float>, wyf: Buffer<Float>
    let norms: Buffer<Double>, rowSums: Buffer<Double>, h: Buffer<Double>, hw: Buffer<Double>, v: Buffer<Double>
    let candidateStart: Buffer<Double>, extremes: Buffer<Double>
    let chunkLists: ChunkLists<Int>, isometricLists: ChunkLists<IsometricPair>
    let chunkTops: Buffer<Double>, chunkMoves: Buffer<Double>
    let classes: ClassMembers
    let scanColumns: UnsafeMutablePointer<Int>
    var active = [Int](), isoPairs = [Int](), candidates = [Int]()

    /// `classes`: the row indices of each class (`LabeledPoints.classes`), fixed for the search.
    init(n: Int, dim: Int, single: Bool, classes members: [[Int]]) {
        (y, anchorY, m, grad, wy) = (Buffer(count: n * dim), Buffer(count: n * dim), Buffer(count: n * dim), Buffer(count: n * dim), Buffer(count: n * dim))
        // The squared distances are a separate matrix only on the reference path (the large-set path
        // writes distances straight into d).
        (d2, d, w) = (Buffer(count: single ? 0 : n * n), Buffer(count: n * n), Buffer(count: n * n))
        (yf, gf, wyf) = single ? (Buffer(count: n * dim), Buffer(count: n * n), Buffer(count: n * dim)) : (Buffer(count: 0), Buffer(count: 0), Buffer(count: 0))
        (norms, rowSums, h, hw, v) = (Buffer(count: n), Buffer(count: n), Buffer(count: n), Buffer(count: n), Buffer(count: n))
        candidateStart = Buffer(count: n + 1)
        extremes = Buffer(count: 5 * n)
        let chunks = RowChunks(size: 64, count: n).number
        (chunkLists, isometricLists) = (ChunkLists(chunks: chunks), ChunkLists(chunks: chunks))
        (chunkTops, chunkMoves) = (Buffer(count: chunks), Buffer(count: chunks))
        classes = ClassMembers(classes: members, count: n)
        scanColumns = .allocate(capacity: max(chunks * n, 1))
        active.reserveCapacity(n * (n - 1) / 2)
        isoPairs.reserveCapacity(n * (n - 1) / 2)
        candidates.reserveCapacity(n * (n - 1))
    }

    deinit {
        scanColumns.deallocate()
        classes.deallocate()
    }
}

/// The points of each class in index order, and where each point's class lies in that list; owned by
/// the `FStarWorkspace` that made it (the descents read it through pointers, with no reference counting
/// in their inner loops).
struct ClassMembers {
    let order: UnsafeMutablePointer<Int>, bounds: UnsafeMutablePointer<Int>

    /// `classes`: each class's row indices in index order (`LabeledPoints.classes`), `count` rows in all.
    init(classes: [[Int]], count n: Int) {
        order = .allocate(capacity: max(n, 1))
        bounds = .allocate(capacity: max(2 * n, 1))
        var start = 0
        for members in classes {
            for (k, i) in members.enumerated() { (order[start + k], bounds[2 * i], bounds[2 * i + 1]) = (i, start, start + members.count) }
            start += members.count
        }
    }

    /// The members of point a's class (a included), in index order.
    @inline(__always) func members(of a: Int) -> UnsafeBufferPointer<Int> {
        UnsafeBufferPointer(start: order + bounds[2 * a], count: bounds[2 * a + 1] - bounds[2 * a])
    }

    func deallocate() {
        order.deallocate()
        bounds.deallocate()
    }
}

/// Lists a full pass builds on the threads, one per fixed chunk of rows, kept from one full pass to the
/// next so their capacity is reused (a class: the descent's passes are non-mutating).
final class ChunkLists<Element> {
    var lists: [[Element]]

    init(chunks: Int) { lists = [[Element]](repeating: [], count: chunks) }
}

/// A pair near the largest isometric error: its upper-triangle index and, when it is within the
/// smooth max's cutoff (`weighted`), its two terms exp((±e − top)/τ).
struct IsometricPair {
    var index: Int
    var up: Double, down: Double
    var weighted: Bool
}
