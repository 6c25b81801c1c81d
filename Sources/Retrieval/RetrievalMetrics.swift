// Retrieval quality exactly as pytorch-metric-learning's AccuracyCalculator defines it.
import Linalg

/// Precision@1, R-Precision and MAP@R of a labelled embedding set queried against itself.
public struct RetrievalMetrics: Sendable, Equatable, Codable {
    public var precisionAt1: Double
    public var rPrecision: Double
    public var mapAtR: Double

    enum CodingKeys: String, CodingKey {
        case precisionAt1 = "precision_at_1"
        case rPrecision = "r_precision"
        case mapAtR = "map_at_r"
    }

    public init(precisionAt1: Double, rPrecision: Double, mapAtR: Double) {
        self.precisionAt1 = precisionAt1
        self.rPrecision = rPrecision
        self.mapAtR = mapAtR
    }

    /// Computes the metrics from pairwise distances (any monotone distance) as PML does with the query
    /// set equal to the reference set: each query's own row is excluded, neighbours are ranked by
    /// distance (ties by index), R is the number of other same-class points, and queries whose class
    /// has no other member ("lone" queries) are left out of every average.
    public init<T: BLASReal>(distances: Matrix<T>, labels: [Int]) {
        let n = labels.count
        precondition(distances.rows == n && distances.cols == n)
        var sums = MetricSums(labels: labels)
        var order = [Int]()
        order.reserveCapacity(n)
        for q in 0..<n {
            guard sums.relevant(q) > 0 else { continue }
            order.removeAll(keepingCapacity: true)
            for j in 0..<n where j != q { order.append(j) }
            let base = q * n
            order.sort { a, b in
                let da = distances.storage[base + a], db = distances.storage[base + b]
                return da < db || (da == db && a < b)
            }
            sums.add(query: q) { order[$0] }
        }
        self = sums.metrics
    }

    /// The metrics from each row's exact nearest neighbours (`ExactNeighbours` with k ≥ the largest
    /// class size − 1): the same numbers as from the full distance matrix, without it.
    public init(neighbours nn: ExactNeighbours, labels: [Int]) {
        var sums = MetricSums(labels: labels)
        nn.neighbours.withUnsafeBufferPointer { nb in
            for q in 0..<labels.count {
                let r = sums.relevant(q)
                guard r > 0 else { continue }
                precondition(r <= nn.k, "ExactNeighbours.k must be at least the largest class size − 1")
                let base = q * nn.k
                sums.add(query: q) { Int(nb[base + $0]) }
            }
        }
        self = sums.metrics
    }

    /// The neighbours the metrics need: k = the largest class size − 1 (at least 1), as PML's "max_bin_count".
    public static func neighbourCount(labels: [Int]) -> Int {
        var counts = [Int: Int]()
        for l in labels { counts[l, default: 0] += 1 }
        return max(1, (counts.values.max() ?? 2) - 1)
    }

    /// Metrics of `x` (N × D, Float32) without an N × N matrix: exact k nearest neighbours by blocks, on
    /// `threads` threads (the same metrics for any value).
    public static func exact(_ x: Matrix<Float>, labels: [Int], threads: Int = 1, progress: ((Double) -> Void)? = nil) -> RetrievalMetrics {
        RetrievalMetrics(neighbours: ExactNeighbours(x, k: neighbourCount(labels: labels), threads: threads, progress: progress), labels: labels)
    }
}

/// The running sums of P@1, R-Precision and MAP@R over queries, from each query's ranked neighbours.
struct MetricSums {
    let labels: [Int]
    private var counts: [Int: Int] = [:]
    private var p1 = 0.0, rp = 0.0, map = 0.0
    private var queries = 0

    init(labels: [Int]) {
        self.labels = labels
        for l in labels { counts[l, default: 0] += 1 }
    }

    /// R: the other points of the query's class (0: a lone query, left out of every average).
    func relevant(_ q: Int) -> Int { counts[labels[q]]! - 1 }

    /// Adds query `q`, whose r-th nearest neighbour (0-based) is `neighbour(r)`, for r < R.
    mutating func add(query q: Int, neighbour: (Int) -> Int) {
        let r = relevant(q)
        queries += 1
        if labels[neighbour(0)] == labels[q] { p1 += 1 }
        var hits = 0
        var precisionSum = 0.0
        for i in 0..<r where labels[neighbour(i)] == labels[q] {
            hits += 1
            precisionSum += Double(hits) / Double(i + 1)
        }
        rp += Double(hits) / Double(r)
        map += precisionSum / Double(r)
    }

    var metrics: RetrievalMetrics {
        let denom = Double(max(queries, 1))
        return RetrievalMetrics(precisionAt1: p1 / denom, rPrecision: rp / denom, mapAtR: map / denom)
    }
}
