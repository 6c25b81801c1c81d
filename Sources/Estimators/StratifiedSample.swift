// Seeded stratified subsets: the probe the estimators analyse when a set is large (or a run wants a fixed one).
import Isometry
import Linalg

/// `size` row indices (sorted) with every class represented in proportion to its size (largest
/// remainders), each class's rows drawn by a seeded shuffle.
public func stratifiedSample(labels: [Int], size: Int, seed: UInt64) -> [Int] {
    var byClass = [Int: [Int]]()
    for (i, c) in labels.enumerated() { byClass[c, default: []].append(i) }
    let members = byClass.keys.sorted().map { byClass[$0]! }
    let total = Double(labels.count)
    var quotas = members.map { Int(Double(size) * Double($0.count) / total) }
    let remainders = members.indices.map { ($0, Double(size) * Double(members[$0].count) / total - Double(quotas[$0])) }
    var missing = size - quotas.reduce(0, +)
    for (c, _) in remainders.sorted(by: { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }) where missing > 0 {
        quotas[c] += 1
        missing -= 1
    }
    var rng = SeededRNG(seed: seed, stream: 0x9B0BE)
    var rows = [Int]()
    for (c, m) in members.enumerated() {
        var shuffled = m
        rng.shuffle(&shuffled)
        rows += shuffled.prefix(quotas[c])
    }
    return rows.sorted()
}
