// The seven triplet miners: which (anchor, positive, negative) triplets of a batch the loss sees.
import Linalg

/// A triplet-mining strategy.
public enum Miner: String, Sendable, Codable, CaseIterable {
    /// Per anchor its hardest positive and hardest negative (Hermans et al. 2017). Mean over anchors.
    case batchHard = "batch-hard"
    /// Every valid triplet; mean over triplets with non-zero loss (PML's AvgNonZeroReducer). With the
    /// hinge loss `TripletObjective` counts them per pair instead of listing them here
    /// (`evaluateEveryTriplet`); `mine` lists them (the soft loss, tests).
    case batchAll = "batch-all"
    /// Per positive pair the nearest negative farther than the positive (FaceNet / TF Addons);
    /// when no negative is farther, the farthest negative (TF Addons' fallback; such a triplet has
    /// d⁻ ≤ d⁺, so its hinge loss is at least α). Mean over pairs.
    case semiHard = "semi-hard"
    /// Per anchor its easiest (nearest) positive and hardest negative: the EPHN combination of Xuan et
    /// al. 2020 (Levi et al. 2021 studied easy positives, not this pairing). Mean over anchors.
    case easyPositive = "easy-positive"
    /// Per anchor one positive and one negative drawn uniformly from the seeded RNG. Mean over anchors.
    case random
    /// The single triplet of the batch maximising d⁺ − d⁻: the paper's hardest triplet (L_hard).
    case hardestTriplet = "hardest-triplet"
    /// Batch-hard on a batch whose anchors are mostly **ordered** (hardest negative farther than hardest
    /// positive: the batch is near a separated embedding of its own); on a batch mostly **inverted**
    /// (its nearest separated embedding far away, for B ≫ n the collapse, which batch-hard's step pulls
    /// toward), per anchor batch-hard's triplet where it is ordered and, where it is inverted, for each
    /// of its positives every semi-hard triplet (a negative beyond the positive and within the margin:
    /// d⁺ < d⁻ < d⁺ + α), or semi-hard's one triplet when no negative is in that band. Mean over the
    /// mined triplets. Chosen by measurement over per-batch and per-anchor alternatives:
    /// docs/train-and-sweep.md.
    case collapseAware = "collapse-aware"

    /// Whether the loss is averaged over non-zero triplets only (batch-all) rather than all mined ones.
    public var averagesNonZeroOnly: Bool { self == .batchAll }
}

/// Mined triplets as three parallel index arrays; reused across steps so mining does not allocate.
public struct TripletBuffer: Sendable {
    public var anchors: [Int32] = []
    public var positives: [Int32] = []
    public var negatives: [Int32] = []
    /// Scratch of `semiHard(anchor:…)`: one anchor's positives and their semi-hard negatives, the
    /// positives' order by distance, and the nearest negative in each gap between them.
    var semiPositives: [Int32] = []
    var semiNegatives: [Int32] = []
    var order: [Int32] = []
    /// The positives' distances in `order` (exact as Double), for the binary searches: one load each.
    var sortedDistances: [Double] = []
    /// Per negative of the anchor, in index order, the number of its positives strictly nearer than it
    /// (the gap it falls in; `TripletObjective.evaluateMarginBand` reads it instead of searching again).
    var negativeGaps: [Int32] = []
    var gaps: [Int32] = []
    /// Scratch of `appendSemiHardBand`: one anchor's negatives in index order.
    var bandNegatives: [Int32] = []

    public init() {}

    public var count: Int { anchors.count }

    mutating func removeAll() {
        anchors.removeAll(keepingCapacity: true)
        positives.removeAll(keepingCapacity: true)
        negatives.removeAll(keepingCapacity: true)
    }

    /// Drops the first `k` triplets (capacity kept).
    mutating func removeFirst(_ k: Int) {
        anchors.removeSubrange(0..<k)
        positives.removeSubrange(0..<k)
        negatives.removeSubrange(0..<k)
    }

    @inline(__always) mutating func append(_ a: Int, _ p: Int, _ n: Int) {
        anchors.append(Int32(a))
        positives.append(Int32(p))
        negatives.append(Int32(n))
    }

    /// The triplets as tuples (for tests and reports).
    public var triplets: [(Int, Int, Int)] {
        (0..<count).map { (Int(anchors[$0]), Int(positives[$0]), Int(negatives[$0])) }
    }
}

extension Miner {
    /// Mines triplets from an `n × n` distance matrix (any monotone distance: Euclidean or squared).
    ///
    /// Anchors without a positive or a negative contribute nothing; ties go to the lowest index.
    /// `squared` says the matrix holds squared distances: the per-anchor choices do not depend on it,
    /// but `hardest-triplet` compares d⁺ − d⁻ across anchors, and the maximiser of d⁺² − d⁻² is not in
    /// general the L_hard triplet, so it takes square roots for that comparison. `margin` is the loss's
    /// α in the matrix's units (collapse-aware's band; the other miners do not use it).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func mine<T: BLASReal>(
        distances d: UnsafePointer<T>, labels: UnsafePointer<Int>, count n: Int, squared: Bool = false, margin: T = 0,
        rng: inout SeededRNG, into out: inout TripletBuffer
    ) {
        out.removeAll()
        switch self {
        case .batchHard, .easyPositive, .hardestTriplet:
            var bestGap = -T.infinity
            var best = (-1, -1, -1)
            for a in 0..<n {
                let row = d + a * n
                var p = -1, q = -1
                for j in 0..<n where j != a {
                    if labels[j] == labels[a] {
                        if p < 0 || (self == .easyPositive ? row[j] < row[p] : row[j] > row[p]) { p = j }
                    } else if q < 0 || row[j] < row[q] {
                        q = j
                    }
                }
                guard p >= 0, q >= 0 else { continue }
                if self == .hardestTriplet {
                    let gap = squared ? row[p].squareRoot() - row[q].squareRoot() : row[p] - row[q]
                    if gap > bestGap { bestGap = gap; best = (a, p, q) }
                } else {
                    out.append(a, p, q)
                }
            }
            if self == .hardestTriplet, best.0 >= 0 { out.append(best.0, best.1, best.2) }
        case .batchAll:
            for a in 0..<n {
                for p in 0..<n where p != a && labels[p] == labels[a] {
                    for q in 0..<n where labels[q] != labels[a] { out.append(a, p, q) }
                }
            }
        case .semiHard:
            for a in 0..<n { out.appendSemiHard(anchor: a, row: d + a * n, labels: labels, count: n) }
        case .collapseAware:
            // Batch-hard while more than half the batch's anchors are ordered (d⁻ > d⁺ for their hardest
            // pair): the batch is then near a separated embedding of its own, not the collapse.
            Miner.batchHard.mine(distances: d, labels: labels, count: n, squared: squared, rng: &rng, into: &out)
            let hard = out.count
            if !Miner.isMostlyInverted(distances: d, count: n, batchHard: out) { return }
            // Mostly inverted: from batch-hard's triplets (one per anchor, in anchor order), its triplet where
            // the anchor is ordered and the semi-hard triplets of every positive where it is inverted,
            // appended after them; then batch-hard's are dropped.
            for t in 0..<hard {
                let a = Int(out.anchors[t]), p = Int(out.positives[t]), q = Int(out.negatives[t])
                let row = d + a * n
                if row[q] > row[p] {
                    out.append(a, p, q)
                } else {
                    out.appendSemiHardBand(anchor: a, row: row, labels: labels, count: n, margin: margin)
                }
            }
            out.removeFirst(hard)
        case .random:
            for a in 0..<n {
                var positives = 0, negatives = 0
                for j in 0..<n where j != a {
                    if labels[j] == labels[a] { positives += 1 } else { negatives += 1 }
                }
                guard positives > 0, negatives > 0 else { continue }
                var pick = rng.int(below: positives)
                var p = -1
                for j in 0..<n where j != a && labels[j] == labels[a] {
                    if pick == 0 { p = j; break }
                    pick -= 1
                }
                pick = rng.int(below: negatives)
                var q = -1
                for j in 0..<n where labels[j] != labels[a] {
                    if pick == 0 { q = j; break }
                    pick -= 1
                }
                out.append(a, p, q)
            }
        }
    }
}

extension Miner {
    /// Collapse-aware's switch: whether at least half of batch-hard's triplets `hard` (one per anchor,
    /// mined from `d`) are inverted, their hardest negative no farther than their hardest positive.
    static func isMostlyInverted<T: BLASReal>(distances d: UnsafePointer<T>, count n: Int, batchHard hard: TripletBuffer) -> Bool {
        var inverted = 0
        for t in 0..<hard.count {
            let a = Int(hard.anchors[t])
            if d[a * n + Int(hard.negatives[t])] <= d[a * n + Int(hard.positives[t])] { inverted += 1 }
        }
        return 2 * inverted >= hard.count
    }
}

extension TripletBuffer {
    /// Appends anchor `a`'s semi-hard triplets: one per positive, as `semiHard(anchor:…)` picks them.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    mutating func appendSemiHard<T: BLASReal>(anchor a: Int, row: UnsafePointer<T>, labels: UnsafePointer<Int>, count n: Int) {
        semiHard(anchor: a, row: row, labels: labels, count: n)
        for k in 0..<semiPositives.count { append(a, Int(semiPositives[k]), Int(semiNegatives[k])) }
    }

    /// Appends anchor `a`'s semi-hard triplets in the margin band: for each positive p (index order)
    /// every negative n with d_ap < d_an < d_ap + `margin` (index order); for a positive with none, the
    /// one triplet `semiHard(anchor:…)` picks (its nearest negative beyond the band, or the farthest
    /// negative when none is beyond the positive).
    ///
    /// Why every one: a band triplet has a non-zero hinge loss and its negative already beyond the
    /// positive, so its step widens a gap that exists instead of pulling the positive past a nearer
    /// negative (what contracts an inverted batch); taking all of them, as batch-all takes every active
    /// triplet, gives an inverted anchor a step from all its negatives near the margin rather than one.
    /// O(K·B) per anchor plus the triplets listed; with the hinge loss `TripletObjective` counts the
    /// band instead (`evaluateMarginBand`, O(B log K) per anchor).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    mutating func appendSemiHardBand<T: BLASReal>(anchor a: Int, row: UnsafePointer<T>, labels: UnsafePointer<Int>, count n: Int, margin: T) {
        semiHard(anchor: a, row: row, labels: labels, count: n)
        bandNegatives.removeAll(keepingCapacity: true)
        for j in 0..<n where labels[j] != labels[a] { bandNegatives.append(Int32(j)) }
        for k in 0..<semiPositives.count {
            let p = Int(semiPositives[k])
            let dp = row[p], upper = dp + margin, listed = count
            for j in bandNegatives.indices {
                let q = Int(bandNegatives[j])
                if row[q] > dp && row[q] < upper { append(a, p, q) }
            }
            if count == listed { append(a, p, Int(semiNegatives[k])) }
        }
    }

    /// Every positive of anchor `a` (in index order, into `semiPositives`; their order by distance into
    /// `order`, the distances in that order into `sortedDistances`, each negative's gap among them into
    /// `negativeGaps`) with its semi-hard negative
    /// (into `semiNegatives`): the nearest negative strictly farther than the positive, the lowest index
    /// among equals; when none is farther, the farthest negative (TF Addons' fallback, the lowest index
    /// among equals). Without negatives, no positive is listed.
    ///
    /// Why not a scan of the negatives per positive (O(K·B) per anchor): the positives are sorted by
    /// distance (K − 1 of them), each negative falls in the gap between two consecutive positives (a
    /// binary search), and a positive's semi-hard negative is the nearest negative in the gaps beyond
    /// it — a suffix minimum. O(B log K) per anchor, without allocation once the scratch has grown.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    mutating func semiHard<T: BLASReal>(anchor a: Int, row: UnsafePointer<T>, labels: UnsafePointer<Int>, count n: Int) {
        semiPositives.removeAll(keepingCapacity: true)
        semiNegatives.removeAll(keepingCapacity: true)
        order.removeAll(keepingCapacity: true)
        negativeGaps.removeAll(keepingCapacity: true)
        for j in 0..<n where j != a && labels[j] == labels[a] {
            order.append(Int32(semiPositives.count))
            semiPositives.append(Int32(j))
        }
        let m = semiPositives.count
        guard m > 0 else { return }
        // `order` by (distance, index).
        semiPositives.withUnsafeBufferPointer { pos in
            order.withUnsafeMutableBufferPointer { o in
                heapSort(o) { x, y in
                    let dx = row[Int(pos[Int(x)])], dy = row[Int(pos[Int(y)])]
                    return dx < dy || (!(dy < dx) && x < y)
                }
            }
        }
        sortedDistances.removeAll(keepingCapacity: true)
        for i in 0..<m { sortedDistances.append(Double(row[Int(semiPositives[Int(order[i])])])) }
        gaps.removeAll(keepingCapacity: true)
        for _ in 0...m { gaps.append(-1) }
        var farthest = -1
        @inline(__always) func nearer(_ q: Int, than r: Int) -> Bool { r < 0 || row[q] < row[r] }
        sortedDistances.withUnsafeBufferPointer { sorted in
            for q in 0..<n where labels[q] != labels[a] {
                if farthest < 0 || row[q] > row[farthest] { farthest = q }
                // The number of positives strictly nearer than q.
                let dq = Double(row[q])
                var lo = 0, hi = m
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if sorted[mid] < dq { lo = mid + 1 } else { hi = mid }
                }
                negativeGaps.append(Int32(lo))
                if nearer(q, than: Int(gaps[lo])) { gaps[lo] = Int32(q) }
            }
        }
        guard farthest >= 0 else {
            semiPositives.removeAll(keepingCapacity: true)
            return
        }
        for _ in 0..<m { semiNegatives.append(-1) }
        // The positive at sorted position i may take the negatives of gaps i + 1 … m.
        var best = -1
        for i in stride(from: m - 1, through: 0, by: -1) {
            let g = Int(gaps[i + 1])
            if g >= 0 && (best < 0 || row[g] < row[best] || (!(row[best] < row[g]) && g < best)) { best = g }
            semiNegatives[Int(order[i])] = Int32(best >= 0 ? best : farthest)
        }
    }
}
