// Each miner on a hand-computed batch, and the empty-batch rules.
import Testing
import Linalg
@testable import Trainer
@testable import Triplets

/// 1-D batch: class A at 0, 1, 5 (rows 0–2), class B at 2, 7 (rows 3–4).
let handPoints: [[Double]] = [[0], [1], [5], [2], [7]]
let handLabels = [0, 0, 0, 1, 1]

func mined(_ miner: Miner, seed: UInt64 = 0) -> [[Int]] {
    let d = Matrix<Double>(handPoints).pairwiseDistances()
    var out = TripletBuffer()
    var rng = SeededRNG(seed: seed)
    d.storage.withUnsafeBufferPointer { p in
        handLabels.withUnsafeBufferPointer { l in
            miner.mine(distances: p.baseAddress!, labels: l.baseAddress!, count: 5, rng: &rng, into: &out)
        }
    }
    return out.triplets.map { [$0.0, $0.1, $0.2] }
}

@Suite struct MinerTests {
    @Test func batchHard() {
        #expect(mined(.batchHard) == [[0, 2, 3], [1, 2, 3], [2, 0, 4], [3, 4, 1], [4, 3, 2]])
        // m = d⁺ − d⁻ + 0.2 = 3.2, 3.2, 3.2, 4.2, 3.2: mean 3.4.
        let s = tripletLoss(handPoints, handLabels, miner: .batchHard, config: TripletLossConfig(margin: 0.2))
        #expect(abs(s.loss - 3.4) < 1e-12 && s.triplets == 5 && s.active == 5)
        #expect(abs(s.positiveDistanceSum - 24) < 1e-12 && abs(s.negativeDistanceSum - 8) < 1e-12)
    }

    @Test func easyPositive() {
        #expect(mined(.easyPositive) == [[0, 1, 3], [1, 0, 3], [2, 1, 4], [3, 4, 1], [4, 3, 2]])
    }

    @Test func hardestTriplet() {
        #expect(mined(.hardestTriplet) == [[3, 4, 1]])
        let s = tripletLoss(handPoints, handLabels, miner: .hardestTriplet, config: TripletLossConfig(margin: 0.2))
        #expect(abs(s.loss - 4.2) < 1e-12)
    }

    @Test func hardestTripletWithSquaredDistancesIsStillTheLHardTriplet() {
        // Anchor 1 (at 10): d⁺ = 10, d⁻ = 9, gap 1 but squared gap 19; anchor 3 (at 100): d⁺ = 3,
        // d⁻ = 1, gap 2 (L_hard) but squared gap 8. On squared distances the miner must still pick anchor 3.
        let points = Matrix<Double>([[0], [10], [19], [100], [103], [101]])
        let labels = [0, 0, 1, 2, 2, 3]
        let d2 = points.pairwiseSquaredDistances()
        var out = TripletBuffer()
        var rng = SeededRNG(seed: 0)
        d2.storage.withUnsafeBufferPointer { p in
            labels.withUnsafeBufferPointer { l in
                Miner.hardestTriplet.mine(distances: p.baseAddress!, labels: l.baseAddress!, count: 6, squared: true, rng: &rng, into: &out)
            }
        }
        #expect(out.triplets.map { [$0.0, $0.1, $0.2] } == [[3, 4, 5]])
    }

    func minedCollapseAware(_ points: [[Double]], _ labels: [Int], margin: Double = 0) -> [[Int]] {
        let d = Matrix<Double>(points).pairwiseDistances()
        var out = TripletBuffer()
        var rng = SeededRNG(seed: 0)
        d.storage.withUnsafeBufferPointer { p in
            labels.withUnsafeBufferPointer { l in
                Miner.collapseAware.mine(distances: p.baseAddress!, labels: l.baseAddress!, count: labels.count, margin: margin, rng: &rng, into: &out)
            }
        }
        return out.triplets.map { [$0.0, $0.1, $0.2] }
    }

    @Test func collapseAwareIsBatchHardOnAMostlyOrderedBatch() {
        // 1-D: class A at 0, 1 (rows 0, 1), class B at 3, 10 (rows 2, 3). Anchors 0, 1 and 3 are ordered
        // (hardest negative farther than hardest positive), anchor 2 is not: 3 of 4 ordered, batch-hard.
        #expect(minedCollapseAware([[0], [1], [3], [10]], [0, 0, 1, 1]) == [[0, 1, 2], [1, 0, 2], [2, 3, 1], [3, 2, 1]])
    }

    @Test func collapseAwareGivesTheInvertedAnchorsOfAMostlyInvertedBatchSemiHard() {
        // A at 0, 1 (rows 0, 1), B at 3, 10 (rows 2, 3), C at 4, 9 (rows 4, 5): anchors 0 and 1 ordered
        // (batch-hard's triplet), 2–5 inverted (4 of 6): each positive of theirs gets the nearest negative
        // beyond it — row 3 from anchor 2 (d⁺ = 7) has none, so the farthest, row 5 (6).
        #expect(minedCollapseAware([[0], [1], [3], [10], [4], [9]], [0, 0, 1, 1, 2, 2])
                == [[0, 1, 2], [1, 0, 2], [2, 3, 5], [3, 2, 1], [4, 5, 3], [5, 4, 2]])
        // Inverted at every anchor: mined exactly as semi-hard mines it.
        #expect(mined(.collapseAware) == mined(.semiHard))
    }

    @Test func collapseAwareTakesEverySemiHardTripletInTheMarginBand() {
        // The batch above with α = 3.5: an inverted anchor's positive at d⁺ takes every negative with
        // d⁺ < d⁻ < d⁺ + 3.5, in index order. Row 2 (B at 3; positive at 7): none in (7, 10.5), so
        // semi-hard's fallback, the farthest (row 5); row 3 (B at 10; positive at 7): rows 0 and 1 (10, 9);
        // row 4 (C at 4; positive at 5): row 3 (6) in (5, 8.5); row 5 (C at 9; positive at 5): rows 1 and
        // 2 (8, 6). Anchors 0 and 1 are ordered: batch-hard's triplet.
        let points: [[Double]] = [[0], [1], [3], [10], [4], [9]], labels = [0, 0, 1, 1, 2, 2]
        #expect(minedCollapseAware(points, labels, margin: 3.5)
                == [[0, 1, 2], [1, 0, 2], [2, 3, 5], [3, 2, 0], [3, 2, 1], [4, 5, 3], [5, 4, 1], [5, 4, 2]])
        // The objective mines with its loss's margin.
        #expect(tripletLoss(points, labels, miner: .collapseAware, config: TripletLossConfig(margin: 3.5)).triplets == 8)
        // A negative on the band's edge is not in it: α = 3 puts row 0 at d⁺ + α for anchor 3, row 1 for anchor 5.
        #expect(minedCollapseAware(points, labels, margin: 3) == [[0, 1, 2], [1, 0, 2], [2, 3, 5], [3, 2, 1], [4, 5, 3], [5, 4, 2]])
    }

    /// Semi-hard by its definition, a scan of the negatives per positive (what the miner replaced).
    func semiHardByScan(_ d: [Double], _ labels: [Int]) -> [[Int]] {
        let n = labels.count
        var out: [[Int]] = []
        for a in 0..<n {
            for p in 0..<n where p != a && labels[p] == labels[a] {
                var beyond = -1, farthest = -1
                for q in 0..<n where labels[q] != labels[a] {
                    if d[a * n + q] > d[a * n + p] && (beyond < 0 || d[a * n + q] < d[a * n + beyond]) { beyond = q }
                    if farthest < 0 || d[a * n + q] > d[a * n + farthest] { farthest = q }
                }
                if farthest >= 0 { out.append([a, p, beyond >= 0 ? beyond : farthest]) }
            }
        }
        return out
    }

    @Test(arguments: [0, 1, 2, 3, 4, 5, 6, 7])
    func semiHardMatchesTheScanWithTiesAndUnevenClasses(seed: UInt64) {
        // Small integer distances (many ties), uneven classes, a class of one, sometimes a single class.
        var rng = SeededRNG(seed: seed)
        let n = 5 + rng.int(below: 40)
        let classes = seed == 7 ? 1 : 1 + rng.int(below: 6)
        let labels = (0..<n).map { _ in rng.int(below: classes) }
        var d = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in (i + 1)..<n { d[i * n + j] = Double(rng.int(below: 6)); d[j * n + i] = d[i * n + j] } }
        var out = TripletBuffer()
        d.withUnsafeBufferPointer { p in
            labels.withUnsafeBufferPointer { l in
                Miner.semiHard.mine(distances: p.baseAddress!, labels: l.baseAddress!, count: n, rng: &rng, into: &out)
            }
        }
        #expect(out.triplets.map { [$0.0, $0.1, $0.2] } == semiHardByScan(d, labels))
        // The same in Float (the trainer's precision).
        let f = d.map(Float.init)
        var outF = TripletBuffer()
        f.withUnsafeBufferPointer { p in
            labels.withUnsafeBufferPointer { l in
                Miner.semiHard.mine(distances: p.baseAddress!, labels: l.baseAddress!, count: n, rng: &rng, into: &outF)
            }
        }
        #expect(outF.triplets.map { [$0.0, $0.1, $0.2] } == semiHardByScan(d, labels))
    }

    @Test func semiHardWithTFAddonsFallback() {
        // (2,0), (2,1) and (3,4) have no negative farther than the positive: the farthest negative is used.
        #expect(mined(.semiHard) == [[0, 1, 3], [0, 2, 4], [1, 0, 4], [1, 2, 4], [2, 0, 3], [2, 1, 3], [3, 4, 2], [4, 3, 1]])
    }

    @Test func batchAllAveragesNonZeroTriplets() {
        let all = mined(.batchAll)
        #expect(all.count == 18)
        let d = Matrix<Double>(handPoints).pairwiseDistances()
        let losses = all.map { max(0, d[$0[0], $0[1]] - d[$0[0], $0[2]] + 0.2) }
        let nonZero = losses.filter { $0 > 0 }
        let s = tripletLoss(handPoints, handLabels, miner: .batchAll, config: TripletLossConfig(margin: 0.2))
        #expect(abs(s.loss - nonZero.reduce(0, +) / Double(nonZero.count)) < 1e-12)
        #expect(s.active == nonZero.count && nonZero.count < 18)
    }

    @Test func randomIsValidAndSeeded() {
        let a = mined(.random, seed: 1)
        #expect(a.count == 5)
        for t in a {
            #expect(t[1] != t[0] && handLabels[t[1]] == handLabels[t[0]] && handLabels[t[2]] != handLabels[t[0]])
        }
        #expect(a == mined(.random, seed: 1))
        #expect((2...20).contains { mined(.random, seed: UInt64($0)) != a })
    }

    @Test func batchesWithoutValidTripletsGiveZeroLossNotNaN() {
        for miner in Miner.allCases {
            for kind in TripletLossKind.allCases {
                for labels in [[0, 0, 0], [0, 1, 2]] {
                    let e = Matrix<Double>([[0, 1], [0, 1], [2, 3]])
                    let objective = TripletObjective<Double>(config: TripletLossConfig(kind: kind), miner: miner, batch: 3, dim: 2)
                    var rng = SeededRNG(seed: 0)
                    var grad = [Double](repeating: 7, count: 6)
                    let s = e.storage.withUnsafeBufferPointer { p in
                        labels.withUnsafeBufferPointer { l in
                            objective.evaluate(embeddings: p.baseAddress!, labels: l.baseAddress!, rng: &rng, gradient: &grad)
                        }
                    }
                    #expect(s.loss == 0 && s.triplets == 0, "\(miner) \(kind) \(labels)")
                    #expect(grad == [Double](repeating: 0, count: 6))
                }
            }
        }
    }

    @Test func coincidentPointsHaveZeroGradientNotNaN() {
        // Every embedding identical: all distances 0, the gradient of √ at 0 is 0.
        let e = Matrix<Double>([[1, 1], [1, 1], [1, 1], [1, 1]])
        let objective = TripletObjective<Double>(config: TripletLossConfig(margin: 0.2), miner: .batchHard, batch: 4, dim: 2)
        var rng = SeededRNG(seed: 0)
        var grad = [Double](repeating: 0, count: 8)
        let s = e.storage.withUnsafeBufferPointer { p in
            [0, 0, 1, 1].withUnsafeBufferPointer { l in
                objective.evaluate(embeddings: p.baseAddress!, labels: l.baseAddress!, rng: &rng, gradient: &grad)
            }
        }
        #expect(abs(s.loss - 0.2) < 1e-12 && s.active == 4)
        #expect(grad.allSatisfy { $0 == 0 })
    }
}
