// Probes that keep classes: the subset the estimators analyse on a large set, chosen so every class in
// it has at least two points (an anchor and a positive), whatever the class sizes.
import Isometry
import Linalg

/// About `size` row indices (sorted) in which every represented class has at least 2 points.
///
/// Classes are filled evenly ("water-filling"): each class gets min(its size, `perClassCap`, L) points
/// for the largest L that fits in `size`, and the slots left over go one by one to classes with more
/// points, in a seeded order. When even 2 points from every class exceed `size`, ⌊size / 2⌋ classes
/// are drawn (seeded) and keep 2 points each. Each class's points are a seeded shuffle's prefix. A
/// stratified (proportional) sample would keep single points of most classes of a benchmark-style set
/// (thousands of classes of 2–12 points), so no anchor would have a positive.
///
/// Throws when no valid probe exists: a cap below 2, a size below 4 (two classes of two), or fewer
/// than two classes with two or more points.
public func classKeepingProbe(labels: [Int], size: Int, perClassCap: Int? = nil, seed: UInt64) throws -> [Int] {
    if let cap = perClassCap, cap < 2 {
        throw EstimatorError("probe_per_class \(cap): a probe keeps at least 2 points of each class it samples (an anchor and a positive)", option: "probe_per_class")
    }
    if size < 4 { throw EstimatorError("probe size \(size): a probe needs at least 4 points (two classes of two)", option: "probe_size") }
    var byClass = [Int: [Int]]()
    for (i, c) in labels.enumerated() { byClass[c, default: []].append(i) }
    let eligible = byClass.keys.sorted().filter { byClass[$0]!.count >= 2 }
    if eligible.count < 2 {
        throw EstimatorError("the set has \(eligible.count) class\(eligible.count == 1 ? "" : "es") with two or more points; the estimators need at least two (anchors need a positive and a negative)")
    }
    var rng = SeededRNG(seed: seed, stream: 0xC1A55)
    let cap = perClassCap ?? Int.max
    var available = eligible.map { min(byClass[$0]!.count, cap) }
    var chosen = Array(eligible.indices)
    if 2 * eligible.count > size {
        // Too many classes for two points each: draw ⌊size/2⌋ classes.
        rng.shuffle(&chosen)
        chosen = Array(chosen.prefix(size / 2)).sorted()
    }
    // Water-filling: the largest L with Σ min(available, L) ≤ size.
    var take = [Int](repeating: 0, count: eligible.count)
    var low = 2, high = chosen.map { available[$0] }.max() ?? 2
    while low < high {
        let mid = (low + high + 1) / 2
        if chosen.reduce(0, { $0 + min(available[$1], mid) }) <= size { low = mid } else { high = mid - 1 }
    }
    for c in chosen { take[c] = min(available[c], low) }
    var left = size - chosen.reduce(0) { $0 + take[$1] }
    var order = chosen.filter { take[$0] < available[$0] }
    rng.shuffle(&order)
    for c in order where left > 0 {
        take[c] += 1
        left -= 1
    }
    available = []
    var rows: [Int] = []
    for c in chosen {
        var members = byClass[eligible[c]]!
        rng.shuffle(&members)
        rows += members.prefix(take[c])
    }
    return rows.sorted()
}
