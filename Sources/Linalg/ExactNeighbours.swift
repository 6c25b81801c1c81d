// The k nearest neighbours of every row among the other rows, exactly, without an N × N matrix:
// Float32 GEMM blocks screen candidates with a proven error bound, Double distances rank them.

import CKernels
import Foundation

/// Each row's k nearest other rows (by Euclidean distance, ties by index) and the mean pairwise distance.
///
/// Memory is O(block × tile + N × k): the rows are processed in blocks of `blockRows`; each block's
/// inner products with the rows after it come from `sgemm` calls of `pairTile` columns (the query set
/// is the gallery, so the upper triangle suffices: every pair is screened once, for both of its rows). A pair's distance is bracketed
/// from the Float32 product with a proven bound (below); each row keeps the pairs whose lower bound does
/// not exceed its current k-th smallest upper bound, and those candidates are ranked by Double distances
/// computed from the rows themselves, so the order is exact wherever Float32 rounding could change it.
///
/// **The bound.** The rows are centred first (y = x − μ: distances do not change, and the bound scales
/// with the spread of the points instead of their distance from the origin, so even a collapsed cloud
/// is ranked exactly). Let ỹ = fl₃₂(fl₆₄(x − μ)): each coordinate is off by at most ρ|y| with
/// ρ = u₃₂ + u₆₄ + u₃₂u₆₄ (u₃₂ = 2⁻²⁴, u₆₄ = 2⁻⁵³), so ‖ỹᵢ − ỹⱼ‖ and ‖yᵢ − yⱼ‖ differ by at most
/// δ = ρ(‖yᵢ‖ + ‖yⱼ‖) ≤ ρ/(1 − ρ)·(‖ỹᵢ‖ + ‖ỹⱼ‖) (triangle inequality). The GEMM returns
/// ĝ = ⟨ỹᵢ, ỹⱼ⟩ + η with |η| ≤ γ·Σₖ|ỹᵢₖỹⱼₖ| ≤ γ‖ỹᵢ‖‖ỹⱼ‖, γ = (D + 1)u₃₂/(1 − (D + 1)u₃₂), for any
/// order of summation and with or without FMA (Higham, Accuracy and Stability, §3.1: a sum of D
/// products has a tree of depth ≤ D − 1, plus the final rounding to Float32). The squared norms
/// ñ = Σₖỹₖ² are summed in Double from exact products (|error| ≤ D·u₆₄·ñ), and
/// d̃ = ñᵢ + ñⱼ − 2ĝ in Double adds at most 3u₆₄(ñᵢ + ñⱼ + 2|ĝ|). So with
/// ε = 2γ‖ỹᵢ‖‖ỹⱼ‖ + (D + 3)u₆₄(ñᵢ + ñⱼ + 2|ĝ|), ‖ỹᵢ − ỹⱼ‖² ∈ [d̃ − ε, d̃ + ε] and the true distance
/// lies in [√max(0, d̃ − ε) − δ, √(d̃ + ε) + δ]. Both ends are widened by a further 1e-9 relative (the
/// square roots' own rounding and the Double re-ranking's, each below 1e-15). Any row among the true k
/// nearest has a lower bound no larger than the k-th smallest upper bound, so it is a candidate.
public struct ExactNeighbours: Sendable {
    /// Neighbours per row.
    public let k: Int
    /// `neighbours[i * k + r]`: the r-th nearest other row of row i.
    public let neighbours: [Int32]
    /// Mean over pairs of the distance (from the screening products: within the bound above of exact),
    /// when asked for (it costs a square root per pair).
    public let meanPairwiseDistance: Double?
    /// Candidates re-ranked in all (a measure of how many near-ties the screen could not decide).
    public let candidatesRanked: Int

    /// How candidates are screened. `pairs`: the upper triangle once (half the products), each row
    /// keeping a pool of candidates as pairs stream in; best for small k. `rows`: each block of rows
    /// against all rows, a row's threshold from a selection over its whole row of products, no pools;
    /// for large k (a few large classes), where pools would hold N × k entries. `automatic`: `pairs`
    /// up to k = `poolLimit`.
    public enum Strategy: Sendable { case automatic, pairs, rows }

    /// Columns the vectorised rejection takes at a time (its threshold is re-read between spans).
    public static let screenSpan = 256

    /// Largest k screened with pools.
    public static let poolLimit = 64

    /// Rows per block of the row screen (its buffer is blockRows × N Float32 per thread).
    public static func defaultBlockRows(n: Int) -> Int { max(16, min(512, (16 << 20) / max(n, 1))) }

    /// Rows per block of the pair screen: its big operand (the columns) is packed once per block, so
    /// larger blocks pack less; about 16 blocks at least, so threads share the triangle evenly.
    public static func pairBlockRows(n: Int) -> Int { max(16, min(1024, n / 16)) }

    /// Columns per GEMM of the pair screen (its buffer is blockRows × pairTile Float32 per thread: 8 MiB).
    public static let pairTile = 2048

    /// Finds the `k` nearest other rows of every row of `x` (N × D, N ≥ 2, finite values; k is clamped
    /// to 1…N − 1). `progress` is called with the fraction of pairs screened. `threads` screen and rank
    /// rows at once (the GEMMs use OpenBLAS's own threads); the neighbours and the mean distance are
    /// the same for any value (candidates are ranked exactly; sums are combined in a fixed order).
    /// `blockRows` and `tileColumns` override the blocks' rows and the pair screen's columns per GEMM
    /// (`pairBlockRows`, `pairTile`); the neighbours do not depend on them.
    public init(_ x: Matrix<Float>, k requested: Int, meanDistance: Bool = false, blockRows: Int? = nil, tileColumns: Int? = nil,
                strategy: Strategy = .automatic, threads: Int = 1, progress: ((Double) -> Void)? = nil) {
        let n = x.rows, dim = x.cols
        precondition(n >= 2 && dim >= 1)
        let k = min(max(requested, 1), n - 1)
        self.k = k
        // Centre in Double, round to Float32 for the GEMM.
        var mean = [Double](repeating: 0, count: dim)
        x.storage.withUnsafeBufferPointer { p in
            for i in 0..<n { for c in 0..<dim { mean[c] += Double(p[i * dim + c]) } }
        }
        for c in 0..<dim { mean[c] /= Double(n) }
        var y = [Float](repeating: 0, count: n * dim)
        var sq = [Double](repeating: 0, count: n), norm = [Double](repeating: 0, count: n)
        x.storage.withUnsafeBufferPointer { p in
            for i in 0..<n {
                var s = 0.0
                for c in 0..<dim {
                    let v = Float(Double(p[i * dim + c]) - mean[c])
                    y[i * dim + c] = v
                    s += Double(v) * Double(v)
                }
                sq[i] = s
                norm[i] = s.squareRoot()
            }
        }
        let u32 = 0x1p-24, u64 = 0x1p-53
        let gamma = Double(dim + 1) * u32 / (1 - Double(dim + 1) * u32)
        let rho = (u32 + u64 + u32 * u64) / (1 - (u32 + u64 + u32 * u64))
        let sumTerm = Double(dim + 3) * u64
        let widen = 1e-9

        let bound = ScreenBound(gamma: gamma, rho: rho, sumTerm: sumTerm, widen: widen)
        let useRows = strategy == .rows || (strategy == .automatic && k > ExactNeighbours.poolLimit)
        let screened = y.withUnsafeBufferPointer { yp in
            useRows
                ? ExactNeighbours.screenRows(yp, n: n, dim: dim, k: k, sq: sq, norm: norm, bound: bound, meanDistance: meanDistance,
                                             block: blockRows ?? ExactNeighbours.defaultBlockRows(n: n), threads: threads, progress: progress)
                : ExactNeighbours.screenPairs(yp, n: n, dim: dim, k: k, sq: sq, norm: norm, bound: bound, meanDistance: meanDistance,
                                              block: blockRows ?? ExactNeighbours.pairBlockRows(n: n),
                                              tile: max(1, tileColumns ?? ExactNeighbours.pairTile), threads: threads, progress: progress)
        }
        let totalPairs = Double(n) * Double(n - 1) / 2
        meanPairwiseDistance = meanDistance ? screened.distanceSum / totalPairs : nil
        // Rank each row's candidates by Double distances of the rows as given, rows in fixed chunks.
        var out = [Int32](repeating: 0, count: n * k)
        let rankChunks = RowChunks(size: 256, count: n)
        var rankedPerChunk = [Int](repeating: 0, count: rankChunks.number)
        x.storage.withUnsafeBufferPointer { p in
        out.withUnsafeMutableBufferPointer { o in
        rankedPerChunk.withUnsafeMutableBufferPointer { counts in
            let outBase = o.baseAddress!, countBase = counts.baseAddress!
            parallelChunks(rankChunks.number, threads: threads) { chunk in
                var scratch: [(d: Double, j: Int32)] = []
                for i in rankChunks.rows(chunk) {
                    scratch.removeAll(keepingCapacity: true)
                    for c in screened.candidates[i] {
                        scratch.append((laneSquaredDistance(p.baseAddress! + i * dim, p.baseAddress! + Int(c) * dim, count: dim), c))
                    }
                    countBase[chunk] += scratch.count
                    scratch.sort { $0.d < $1.d || ($0.d == $1.d && $0.j < $1.j) }
                    for r in 0..<k { outBase[i * k + r] = scratch[r].j }
                }
            }
        }
        }
        }
        let ranked = rankedPerChunk.reduce(0, +)
        neighbours = out
        candidatesRanked = ranked
    }
}

/// The screen's error constants (see `ExactNeighbours`).
struct ScreenBound {
    let gamma, rho, sumTerm, widen: Double

    /// ε of a pair: the bound on |d̃ − ‖ỹᵢ − ỹⱼ‖²|.
    @inline(__always) func eps(si: Double, sj: Double, ni: Double, nj: Double, g: Double) -> Double {
        2 * gamma * ni * nj + sumTerm * (si + sj + 2 * abs(g))
    }
}

/// What a screen leaves: each row's candidates and (if asked) the sum of the pairs' distances.
struct Screened {
    var candidates: [[Int32]]
    var distanceSum: Double
}

extension ExactNeighbours {
    /// The upper triangle by blocks of `block` rows, every pair offered to both of its rows' pools. The
    /// blocks run on up to `threads` threads, each with its own GEMM (so OpenBLAS should then run one
    /// thread per call): a pair (i, j), i in the block, goes to row i's own pool (only i's block touches
    /// it) and to row j's pool of the worker that screened it; a row's candidates are the union of its
    /// pools. Each pool keeps every pair it saw that could be among the row's k nearest (its threshold is
    /// the k-th smallest upper bound it saw, never below the row's true k-th distance), so the union
    /// holds the true k nearest whichever worker saw which pair.
    static func screenPairs(_ yp: UnsafeBufferPointer<Float>, n: Int, dim: Int, k: Int, sq: [Double], norm: [Double], bound: ScreenBound,
                            meanDistance: Bool, block: Int, tile: Int, threads: Int, progress: ((Double) -> Void)?) -> Screened {
        let blocks = (n + block - 1) / block
        let workers = workerCount(chunks: blocks, threads: threads)
        // Row pools: row i's own, then one set per worker (allocated here, so their addresses are stable).
        let pools = UnsafeMutablePointer<RowPool>.allocate(capacity: n * (1 + workers))
        pools.initialize(repeating: RowPool(k: k), count: n * (1 + workers))
        let grams = UnsafeMutablePointer<Float>.allocate(capacity: workers * block * tile)
        defer {
            pools.deinitialize(count: n * (1 + workers))
            pools.deallocate()
            grams.deallocate()
        }
        var blockSums = [Double](repeating: 0, count: blocks)
        let totalPairs = Double(n) * Double(n - 1) / 2
        let reporter = ProgressShare(total: totalPairs, progress: progress)
        let widen = bound.widen, rho = bound.rho, inverseKeep = 1 / (1 - widen)
        // Per worker: its pools' thresholds side by side (for the vectorised rejection), and scratch.
        let thresholds = UnsafeMutablePointer<Double>.allocate(capacity: n * workers)
        thresholds.initialize(repeating: .infinity, count: n * workers)
        // The rejection runs in Float32 (eight columns per vector) from Float32 copies of the squared
        // norms, norms and thresholds, unless some nonzero squared norm is outside [1e-30, 1e30], where
        // Float32 could underflow or overflow and its rounding argument (screen.c) would not hold.
        let single = sq.allSatisfy { $0 == 0 || (1e-30...1e30).contains($0) }
        let sqSingle = sq.map(Float.init), normSingle = norm.map(Float.init)
        let thresholdsSingle = UnsafeMutablePointer<Float>.allocate(capacity: n * workers)
        thresholdsSingle.initialize(repeating: .infinity, count: n * workers)
        let flags = UnsafeMutablePointer<UInt8>.allocate(capacity: n * workers)
        let keep = UnsafeMutablePointer<Int32>.allocate(capacity: n * workers)
        defer {
            thresholds.deallocate()
            thresholdsSingle.deallocate()
            flags.deallocate()
            keep.deallocate()
        }
        sq.withUnsafeBufferPointer { sqp in
        norm.withUnsafeBufferPointer { normp in
        sqSingle.withUnsafeBufferPointer { sqSingleP in
        normSingle.withUnsafeBufferPointer { normSingleP in
        blockSums.withUnsafeMutableBufferPointer { sums in
            let sumBase = sums.baseAddress!, ownBase = pools, sqBase = sqp.baseAddress!, normBase = normp.baseAddress!
            let sqSingleBase = sqSingleP.baseAddress!, normSingleBase = normSingleP.baseAddress!
            parallelChunks(blocks, threads: threads) { blockIndex, worker in
                let r0 = blockIndex * block
                let b = min(block, n - r0), width = n - r0
                let gram = grams + worker * block * tile, otherPools = pools + n * (1 + worker)
                let otherThresholds = thresholds + n * worker, otherThresholdsSingle = thresholdsSingle + n * worker, workerFlags = flags + n * worker, workerKeep = keep + n * worker
                var sum = 0.0
                // A pair (i, j) is examined below unless the cheap test rejects it for both rows; the
                // vectorised kernel applies that test first with row i's threshold as it was at the start
                // of the row (it only falls as the row's pool fills, so it rejects no pair the test here
                // would keep), then the survivors go through the same steps one by one.
                // `rowBase`: row i's products with the tile's columns, the first being column `c0`.
                @inline(__always) func examine(_ i: Int, _ j: Int, _ si: Double, _ ni: Double, _ rowBase: UnsafeMutablePointer<Float>, _ c0: Int) {
                    let g = Double(rowBase[j - c0])
                    let sj = sqBase[j], nj = normBase[j]
                    var d2 = si + sj - 2 * g
                    if d2 < 0 { d2 = 0 }
                    let eps = bound.eps(si: si, sj: sj, ni: ni, nj: nj, g: g)
                    let delta = rho * (ni + nj)
                    if meanDistance { sum += d2.squareRoot() }
                    // Reject cheaply (no square root) when the lower bound exceeds both rows' thresholds.
                    let lowSq = d2 - eps
                    let ti = ownBase[i].threshold, tj = otherPools[j].threshold
                    let tMax = ti > tj ? ti : tj
                    if lowSq > 0 {
                        // lowSq > t² implies lo = (√lowSq − δ)(1 − widen) > tMax (t carries 1e-12 for the
                        // rounding of √ and of the reciprocal 1/(1 − widen)).
                        let t = (tMax * inverseKeep + delta) * (1 + 1e-12)
                        if t.isFinite && lowSq > t * t { return }
                    }
                    let lo = max(0, ((lowSq > 0 ? lowSq.squareRoot() : 0) - delta) * (1 - widen))
                    let hi = ((d2 + eps).squareRoot() + delta) * (1 + widen)
                    if lo <= ti { ownBase[i].offer(lo: lo, hi: hi, other: Int32(j)) }
                    if lo <= tj {
                        otherPools[j].offer(lo: lo, hi: hi, other: Int32(i))
                        otherThresholds[j] = otherPools[j].threshold
                        otherThresholdsSingle[j] = Float(otherPools[j].threshold)
                    }
                }
                // The block's rows against the columns from r0 on, `tile` columns per GEMM: the products of
                // one tile (block × tile Float32) stay in cache between the GEMM that writes them and the
                // screen that reads them, instead of a block × N matrix going out to memory and back.
                // Each pool still receives its pairs in the order of a row-by-row scan (row i's own pool
                // from row i, columns ascending; column j's from the block's rows, ascending), so its
                // invariant holds as before; the tiles are fixed (not set by the thread count), and the
                // products of another GEMM shape may differ in their last bits, which the bound covers.
                var c0 = r0
                while c0 < n {
                    let c1 = min(c0 + tile, n), tileWidth = c1 - c0
                    // G = Y[r0..<r0+b] · Y[c0..<c1]ᵀ.
                    Float.gemm(transA: false, transB: true, m: b, n: tileWidth, k: dim, alpha: 1, a: yp.baseAddress! + r0 * dim, lda: dim,
                               b: yp.baseAddress! + c0 * dim, ldb: dim, beta: 0, c: gram, ldc: tileWidth)
                    for bi in 0..<b {
                        let i = r0 + bi
                        // Row i pairs with the columns after it: none in this tile once i + 1 ≥ c1.
                        if i + 1 >= c1 { break }
                        let si = sqBase[i], ni = normBase[i]
                        let rowBase = gram + bi * tileWidth
                        if meanDistance {
                            // Every pair's distance is summed: no pair is skipped.
                            for j in max(i + 1, c0)..<c1 { examine(i, j, si, ni, rowBase, c0) }
                            continue
                        }
                        // In spans of columns, each tested with the row's threshold as it stands (row i's own
                        // pool starts empty at its row and fills as the row is scanned).
                        var first = max(i + 1, c0)
                        while first < c1 {
                            let end = min(first + ExactNeighbours.screenSpan, c1)
                            let kept = single
                                ? isomine_screen_survivors_f32(rowBase + (first - c0), sqSingleBase + first, normSingleBase + first,
                                                               otherThresholdsSingle + first, end - first, Float(si), Float(ni),
                                                               Float(ownBase[i].threshold), Float(2 * bound.gamma), Float(bound.sumTerm),
                                                               Float(rho), Float(inverseKeep), workerFlags, workerKeep)
                                : isomine_screen_survivors(rowBase + (first - c0), sqBase + first, normBase + first, otherThresholds + first,
                                                           end - first, si, ni, ownBase[i].threshold, 2 * bound.gamma, bound.sumTerm, rho,
                                                           inverseKeep, workerFlags, workerKeep)
                            for s in 0..<kept { examine(i, first + Int(workerKeep[s]), si, ni, rowBase, c0) }
                            first = end
                        }
                    }
                    c0 = c1
                }
                sumBase[blockIndex] = sum
                reporter.add(Double(b) * Double(width) - Double(b) * Double(b + 1) / 2)
            }
        }
        }
        }
        }
        }
        let candidates = (0..<n).map { row -> [Int32] in
            var all = pools[row].other
            for w in 0..<workers { all += pools[n * (1 + w) + row].other }
            return all
        }
        // The blocks' sums in block order: the same total for any thread count.
        return Screened(candidates: candidates, distanceSum: blockSums.reduce(0, +))
    }

    /// Blocks of rows against all rows. Per row, with M the largest norm, εmax and δmax (the pair bounds
    /// at norm M) bound every pair's ε and δ, and √(d̃ + εmax) + δmax bounds every pair's distance from
    /// above and grows with d̃: so τ = √(d̃₍ₖ₎ + εmax) + δmax, from the k-th smallest d̃, is at least the
    /// row's true k-th distance, and a row j can be among the k nearest only if
    /// √max(0, d̃ⱼ − εmax) − δmax ≤ τ, i.e. d̃ⱼ ≤ (τ + δmax)² + εmax (both widened).
    static func screenRows(_ yp: UnsafeBufferPointer<Float>, n: Int, dim: Int, k: Int, sq: [Double], norm: [Double], bound: ScreenBound,
                           meanDistance: Bool, block: Int, threads: Int, progress: ((Double) -> Void)?) -> Screened {
        let blocks = (n + block - 1) / block
        let workers = workerCount(chunks: blocks, threads: threads)
        var candidates = [[Int32]](repeating: [], count: n)
        let grams = UnsafeMutablePointer<Float>.allocate(capacity: workers * block * n)
        // One row of distances per worker (a selection reorders it).
        var rows = [[Double]](repeating: [Double](repeating: 0, count: n - 1), count: workers)
        defer { grams.deallocate() }
        var blockSums = [Double](repeating: 0, count: blocks)
        let reporter = ProgressShare(total: Double(n), progress: progress)
        let maxNorm = norm.max() ?? 0, maxSq = maxNorm * maxNorm
        let w = bound.widen
        candidates.withUnsafeMutableBufferPointer { cp in
        rows.withUnsafeMutableBufferPointer { rowsPointer in
        blockSums.withUnsafeMutableBufferPointer { sums in
            let candidateBase = cp.baseAddress!, rowBases = rowsPointer.baseAddress!, sumBase = sums.baseAddress!
            parallelChunks(blocks, threads: threads) { blockIndex, worker in
                let r0 = blockIndex * block
                let b = min(block, n - r0)
                let gram = grams + worker * block * n
                Float.gemm(transA: false, transB: true, m: b, n: n, k: dim, alpha: 1, a: yp.baseAddress! + r0 * dim, lda: dim,
                           b: yp.baseAddress!, ldb: dim, beta: 0, c: gram, ldc: n)
                var sum = 0.0
                for bi in 0..<b {
                    let i = r0 + bi
                    let si = sq[i], ni = norm[i]
                    let rowBase = gram + bi * n
                    var t = 0
                    for j in 0..<n where j != i {
                        var d2 = si + sq[j] - 2 * Double(rowBase[j])
                        if d2 < 0 { d2 = 0 }
                        rowBases[worker][t] = d2
                        t += 1
                        if meanDistance && j > i { sum += d2.squareRoot() }
                    }
                    let epsMax = bound.eps(si: si, sj: maxSq, ni: ni, nj: maxNorm, g: ni * maxNorm * (1 + bound.gamma))
                    let deltaMax = bound.rho * (ni + maxNorm)
                    let kth = valueOfRank(k - 1, in: &rowBases[worker])
                    let tau = ((kth + epsMax).squareRoot() + deltaMax) * (1 + w)
                    let reach = (tau / (1 - w) + deltaMax) * (1 + w)
                    let limit = reach * reach + epsMax
                    var list: [Int32] = []
                    list.reserveCapacity(k + 8)
                    for j in 0..<n where j != i {
                        var d2 = si + sq[j] - 2 * Double(rowBase[j])
                        if d2 < 0 { d2 = 0 }
                        if d2 <= limit { list.append(Int32(j)) }
                    }
                    candidateBase[i] = list
                }
                sumBase[blockIndex] = sum
                reporter.add(Double(b))
            }
        }
        }
        }
        return Screened(candidates: candidates, distanceSum: blockSums.reduce(0, +))
    }
}

/// One row's pairs that may be among its k nearest: bounded by compaction against the k-th smallest
/// upper bound, so it stays near k entries unless the distances are genuinely tied.
struct RowPool {
    /// One offered pair: the bounds on its distance and the other row.
    struct Entry {
        var lo: Double, hi: Double
        var other: Int32
    }

    let k: Int
    /// The k-th smallest upper bound among its candidates (+∞ until it has k).
    var threshold = Double.infinity
    /// The pairs kept, in one array (one allocation and one uniqueness check per offer: with three
    /// arrays the checks and their cache misses were a visible part of a 60,000-row screen).
    private var entries: [Entry] = []
    /// The candidates (at least k once k have been offered).
    var other: [Int32] { entries.map(\.other) }
    /// Size at which the row is compacted next (doubles when compaction cannot shrink it: real ties).
    private var limit: Int

    init(k: Int) {
        self.k = k
        limit = 2 * k + 16
    }

    mutating func offer(lo l: Double, hi h: Double, other o: Int32) {
        entries.append(Entry(lo: l, hi: h, other: o))
        if entries.count >= limit { compact() }
        else if entries.count == k && threshold == .infinity { compact() }
    }

    /// Sets the threshold to the k-th smallest upper bound and drops what cannot make the top k:
    /// a lower bound above it, or an exactly known distance equal to it (lower = upper) at a larger index
    /// than k others that are exactly that close or closer (ties are broken by index).
    private mutating func compact() {
        let count = entries.count
        guard count >= k else { return }
        let e = entries
        var order = Array(0..<count)
        order.sort { e[$0].hi < e[$1].hi || (e[$0].hi == e[$1].hi && e[$0].other < e[$1].other) }
        let kth = e[order[k - 1]]
        let tau = kth.hi
        threshold = tau
        let kthExact = kth.lo == kth.hi
        entries.removeAll(keepingCapacity: true)
        for x in e {
            if x.lo > tau { continue }
            if kthExact && x.lo == tau && x.hi == tau && x.other > kth.other { continue }
            entries.append(x)
        }
        limit = max(2 * k + 16, 2 * entries.count)
    }
}

/// Progress shared by the workers of a screen: each adds what it finished; the callback sees the
/// fraction done, one call at a time (a lock guards the count and the call, hence `@unchecked Sendable`).
final class ProgressShare: @unchecked Sendable {
    private let lock = NSLock()
    private var done = 0.0
    private let total: Double
    private let progress: ((Double) -> Void)?

    init(total: Double, progress: ((Double) -> Void)?) {
        self.total = total
        self.progress = progress
    }

    func add(_ amount: Double) {
        guard let progress else { return }
        lock.lock()
        defer { lock.unlock() }
        done += amount
        progress(min(1, done / max(total, 1)))
    }
}
