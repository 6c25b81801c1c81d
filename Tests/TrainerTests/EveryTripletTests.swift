// Hinge losses from per-pair counts against the list of their triplets: batch-all, and collapse-aware's
// margin band on a mostly inverted batch.
import Testing
import Linalg
@testable import Trainer
@testable import Triplets

@Suite struct EveryTripletTests {
    /// Loss statistics and gradient of `points` under `miner`, counted or listed.
    func evaluate<T: BLASReal>(_ points: [T], labels: [Int], dim: Int, config: TripletLossConfig, listed: Bool,
                               miner: Miner = .batchAll) -> (TripletLossStats, [T], Int) {
        let objective = TripletObjective<T>(config: config, miner: miner, batch: labels.count, dim: dim)
        objective.enumeratesEveryTriplet = listed
        var gradient = [T](repeating: 0, count: points.count)
        var rng = SeededRNG(seed: 0)
        let stats = points.withUnsafeBufferPointer { p in
            labels.withUnsafeBufferPointer { l in
                gradient.withUnsafeMutableBufferPointer { g in
                    objective.evaluate(embeddings: p.baseAddress!, labels: l.baseAddress!, rng: &rng, gradient: g.baseAddress!)
                }
            }
        }
        return (stats, gradient, objective.triplets.count)
    }

    /// Random batches — P × K, uneven classes, a singleton class; points on an integer grid (tied
    /// distances, and with α = 1 on squared distances triplets exactly on the margin) or continuous —
    /// in Double and Float, both distances.
    func compare<T: BLASReal>(_: T.Type, tolerance: Double) {
        var rng = SeededRNG(seed: 7)
        let shapes: [[Int]] = [[4, 4, 4], [2, 2, 2, 2, 2], [8, 8, 8, 8, 8, 8, 8, 8, 8, 8], [5, 3, 1, 7], [32, 32, 32]]
        for (s, sizes) in shapes.enumerated() {
            let labels = sizes.enumerated().flatMap { c, k in [Int](repeating: c, count: k) }
            for grid in [true, false] {
                for distance in DistanceKind.allCases {
                    let dim = 1 + s % 3
                    let points = (0..<(labels.count * dim)).map { _ in grid ? T(rng.int(below: 5)) : T(rng.normal()) }
                    let config = TripletLossConfig(kind: .hinge, margin: grid ? 1 : 0.2, distance: distance)
                    let (counted, g1, kept) = evaluate(points, labels: labels, dim: dim, config: config, listed: false)
                    let (listed, g2, _) = evaluate(points, labels: labels, dim: dim, config: config, listed: true)
                    let what = "\(T.self) \(sizes) grid=\(grid) \(distance)"
                    #expect(kept == 0, "\(what): the counted path keeps no triplet list")
                    #expect(counted.triplets == listed.triplets && counted.active == listed.active, "\(what): \(counted) vs \(listed)")
                    #expect(listed.active > 0, "\(what): a batch with active triplets")
                    for (x, y) in [(counted.loss, listed.loss), (counted.positiveDistanceSum, listed.positiveDistanceSum),
                                   (counted.negativeDistanceSum, listed.negativeDistanceSum)] {
                        #expect(abs(x - y) <= tolerance * max(1, abs(y)), "\(what): \(x) vs \(y)")
                    }
                    let worst = zip(g1, g2).map { abs(Double($0) - Double($1)) }.max()!
                    let scale = g2.map { abs(Double($0)) }.max()!
                    #expect(scale > 0 && worst <= tolerance * max(1, scale), "\(what): gradient differs by \(worst)")
                }
            }
        }
    }

    @Test func countsGiveTheListedLossStatisticsAndGradient() {
        compare(Double.self, tolerance: 1e-12)
        compare(Float.self, tolerance: 1e-4)
    }

    /// Collapse-aware: random batches as above, and the same points with each class pulled together
    /// (mostly ordered, batch-hard's step); both ways must take the same triplets, the loss's counts
    /// equal, its values and gradient to rounding.
    func compareCollapseAware<T: BLASReal>(_: T.Type, tolerance: Double) {
        var rng = SeededRNG(seed: 11)
        let shapes: [[Int]] = [[4, 4, 4], [2, 2, 2, 2, 2], [8, 8, 8, 8, 8, 8, 8, 8, 8, 8], [5, 3, 1, 7], [32, 32, 32]]
        var counted = 0, mined = 0
        for (s, sizes) in shapes.enumerated() {
            let labels = sizes.enumerated().flatMap { c, k in [Int](repeating: c, count: k) }
            for grid in [true, false] {
                for pulled in [false, true] {
                    for distance in DistanceKind.allCases {
                        let dim = 1 + s % 3
                        var points = (0..<(labels.count * dim)).map { _ in grid ? T(rng.int(below: 5)) : T(rng.normal()) }
                        if pulled {
                            for (i, c) in labels.enumerated() { for k in 0..<dim { points[i * dim + k] = points[i * dim + k] / 8 + T(4 * c) } }
                        }
                        let config = TripletLossConfig(kind: .hinge, margin: grid ? 1 : 0.5, distance: distance)
                        let (byCount, g1, kept) = evaluate(points, labels: labels, dim: dim, config: config, listed: false, miner: .collapseAware)
                        let (byList, g2, listed) = evaluate(points, labels: labels, dim: dim, config: config, listed: true, miner: .collapseAware)
                        let what = "\(T.self) \(sizes) grid=\(grid) pulled=\(pulled) \(distance)"
                        if kept == 0 { counted += 1 } else { mined += 1; #expect(kept == listed, "\(what): batch-hard's triplets listed") }
                        #expect(byCount.triplets == byList.triplets && byCount.active == byList.active, "\(what): \(byCount) vs \(byList)")
                        for (x, y) in [(byCount.loss, byList.loss), (byCount.positiveDistanceSum, byList.positiveDistanceSum),
                                       (byCount.negativeDistanceSum, byList.negativeDistanceSum)] {
                            #expect(abs(x - y) <= tolerance * max(1, abs(y)), "\(what): \(x) vs \(y)")
                        }
                        let worst = zip(g1, g2).map { abs(Double($0) - Double($1)) }.max()!
                        let scale = g2.map { abs(Double($0)) }.max()!
                        #expect(worst <= tolerance * max(1, scale), "\(what): gradient differs by \(worst)")
                        // A counted batch has more triplets than anchors where a band holds several.
                        if kept == 0, !grid, distance == .euclidean, sizes.count > 2 {
                            #expect(byList.triplets > labels.count, "\(what): the band holds several triplets")
                        }
                    }
                }
            }
        }
        #expect(counted > 0 && mined > 0, "counted \(counted), mined \(mined): both of collapse-aware's steps")
    }

    @Test func collapseAwareCountsItsMarginBandAsItsListGivesIt() {
        compareCollapseAware(Double.self, tolerance: 1e-12)
        compareCollapseAware(Float.self, tolerance: 1e-4)
        // The hand-made batch of MinerTests (α = 3.5): eight triplets, anchors 0 and 1 ordered.
        let points: [Double] = [0, 1, 3, 10, 4, 9]
        let config = TripletLossConfig(kind: .hinge, margin: 3.5)
        let (stats, _, kept) = evaluate(points, labels: [0, 0, 1, 1, 2, 2], dim: 1, config: config, listed: false, miner: .collapseAware)
        #expect(kept == 0 && stats.triplets == 8, "\(stats)")
        let soft = TripletObjective<Double>(config: TripletLossConfig(kind: .soft, margin: 0.2), miner: .collapseAware, batch: 4, dim: 1)
        #expect(!soft.countsMarginBand, "the soft loss lists its triplets")
    }

    @Test func theSoftLossStillListsItsTriplets() {
        let objective = TripletObjective<Double>(config: TripletLossConfig(kind: .soft, margin: 0.2), miner: .batchAll, batch: 4, dim: 1)
        #expect(!objective.countsEveryTriplet)
        let hinge = TripletObjective<Double>(config: TripletLossConfig(kind: .hinge, margin: 0.2), miner: .batchAll, batch: 4, dim: 1)
        #expect(hinge.countsEveryTriplet)
    }
}
