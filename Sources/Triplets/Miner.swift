// The six triplet miners: which (anchor, positive, negative) triplets of a batch the loss sees.
import Linalg

/// A triplet-mining strategy.
public enum Miner: String, Sendable, Codable, CaseIterable {
    /// Per anchor its hardest positive and hardest negative (Hermans et al. 2017). Mean over anchors.
    case batchHard = "batch-hard"
    /// Every valid triplet; mean over triplets with non-zero loss (PML's AvgNonZeroReducer).
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

    /// Whether the loss is averaged over non-zero triplets only (batch-all) rather than all mined ones.
    public var averagesNonZeroOnly: Bool { self == .batchAll }
}

/// Mined triplets as three parallel index arrays; reused across steps so mining does not allocate.
public struct TripletBuffer: Sendable {
    public var anchors: [Int32] = []
    public var positives: [Int32] = []
    public var negatives: [Int32] = []

    public init() {}

    public var count: Int { anchors.count }

    mutating func removeAll() {
        anchors.removeAll(keepingCapacity: true)
        positives.removeAll(keepingCapacity: true)
        negatives.removeAll(keepingCapacity: true)
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
    /// general the L_hard triplet, so it takes square roots for that comparison.
    public func mine<T: BLASReal>(
        distances d: UnsafePointer<T>, labels: UnsafePointer<Int>, count n: Int, squared: Bool = false,
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
            for a in 0..<n {
                let row = d + a * n
                for p in 0..<n where p != a && labels[p] == labels[a] {
                    var nearestOutside = -1, farthest = -1
                    for q in 0..<n where labels[q] != labels[a] {
                        if row[q] > row[p] && (nearestOutside < 0 || row[q] < row[nearestOutside]) { nearestOutside = q }
                        if farthest < 0 || row[q] > row[farthest] { farthest = q }
                    }
                    guard farthest >= 0 else { continue }
                    out.append(a, p, nearestOutside >= 0 ? nearestOutside : farthest)
                }
            }
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
