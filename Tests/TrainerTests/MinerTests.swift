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
