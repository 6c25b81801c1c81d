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
        var counts = [Int: Int]()
        for l in labels { counts[l, default: 0] += 1 }
        var p1 = 0.0, rp = 0.0, map = 0.0
        var queries = 0
        var order = [Int]()
        order.reserveCapacity(n)
        for q in 0..<n {
            let r = counts[labels[q]]! - 1
            if r == 0 { continue }
            queries += 1
            order.removeAll(keepingCapacity: true)
            for j in 0..<n where j != q { order.append(j) }
            let base = q * n
            order.sort { a, b in
                let da = distances.storage[base + a], db = distances.storage[base + b]
                return da < db || (da == db && a < b)
            }
            if labels[order[0]] == labels[q] { p1 += 1 }
            var hits = 0
            var precisionSum = 0.0
            for i in 0..<r where labels[order[i]] == labels[q] {
                hits += 1
                precisionSum += Double(hits) / Double(i + 1)
            }
            rp += Double(hits) / Double(r)
            map += precisionSum / Double(r)
        }
        let denom = Double(max(queries, 1))
        self.init(precisionAt1: p1 / denom, rPrecision: rp / denom, mapAtR: map / denom)
    }
}
