// Cross-implementation vectors: losses and retrieval metrics as pytorch-metric-learning computes them.
import Retrieval
import Foundation
import Testing
import Linalg
@testable import Trainer
@testable import Triplets

struct PMLCase: Decodable {
    var name: String
    var embeddings: [[Double]]
    var labels: [Int]
    var expected: [String: Double]
}

struct PMLVectors: Decodable {
    var cases: [PMLCase]

    static func load() throws -> [PMLCase] {
        let url = try #require(Bundle.module.url(forResource: "pml_vectors", withExtension: "json"))
        return try JSONDecoder().decode(PMLVectors.self, from: Data(contentsOf: url)).cases
    }
}

/// Loss of `embeddings` with a miner and loss config, in Double.
func tripletLoss(_ e: [[Double]], _ labels: [Int], miner: Miner, config: TripletLossConfig, normalize: Bool = false) -> TripletLossStats {
    var rows = e
    if normalize { rows = rows.map { r in let n = r.reduce(0) { $0 + $1 * $1 }.squareRoot(); return r.map { $0 / n } } }
    let m = Matrix<Double>(rows)
    let objective = TripletObjective<Double>(config: config, miner: miner, batch: m.rows, dim: m.cols)
    var rng = SeededRNG(seed: 0)
    return m.storage.withUnsafeBufferPointer { p in
        labels.withUnsafeBufferPointer { l in
            objective.evaluate(embeddings: p.baseAddress!, labels: l.baseAddress!, rng: &rng, gradient: nil)
        }
    }
}

@Suite struct PMLVectorTests {
    @Test func lossesMatchPML() throws {
        for c in try PMLVectors.load() {
            let x = c.expected
            let bh = tripletLoss(c.embeddings, c.labels, miner: .batchHard, config: TripletLossConfig(kind: .hinge, margin: 0.2))
            #expect(abs(bh.loss - x["batch_hard_hinge_margin_0.2_mean"]!) < 1e-9, "\(c.name)")
            let soft = tripletLoss(c.embeddings, c.labels, miner: .batchHard, config: TripletLossConfig(kind: .soft, margin: 0))
            #expect(abs(soft.loss - x["batch_hard_soft_margin_0_mean"]!) < 1e-9, "\(c.name)")
            let all = tripletLoss(c.embeddings, c.labels, miner: .batchAll, config: TripletLossConfig(kind: .hinge, margin: 0.2))
            #expect(abs(all.loss - x["batch_all_hinge_margin_0.2_mean_over_nonzero"]!) < 1e-9, "\(c.name)")
            let l2 = tripletLoss(c.embeddings, c.labels, miner: .batchHard, config: TripletLossConfig(kind: .hinge, margin: 0.2), normalize: true)
            #expect(abs(l2.loss - x["batch_hard_hinge_margin_0.2_mean_l2_normalised"]!) < 1e-9, "\(c.name)")
            // L_hard: the gap d⁺ − d⁻ of the single hardest triplet.
            let hardest = tripletLoss(c.embeddings, c.labels, miner: .hardestTriplet, config: TripletLossConfig(kind: .hinge, margin: 0))
            #expect(abs(hardest.positiveDistanceSum - hardest.negativeDistanceSum - x["l_hard_margin_0"]!) < 1e-9, "\(c.name)")
        }
    }

    @Test func retrievalMetricsMatchPML() throws {
        for c in try PMLVectors.load() {
            let full = RetrievalMetrics(distances: Matrix<Double>(c.embeddings).pairwiseDistances(), labels: c.labels)
            // The blockwise exact neighbours (what analyses and evaluations use) give PML's numbers too.
            let blocks = RetrievalMetrics.exact(Matrix<Double>(c.embeddings).converted(to: Float.self), labels: c.labels)
            for m in [full, blocks] {
                #expect(abs(m.precisionAt1 - c.expected["precision_at_1"]!) < 1e-12, "\(c.name)")
                #expect(abs(m.rPrecision - c.expected["r_precision"]!) < 1e-12, "\(c.name)")
                #expect(abs(m.mapAtR - c.expected["map_at_r"]!) < 1e-12, "\(c.name)")
            }
        }
    }

    @Test func retrievalHandComputed() {
        // 1-D points: A at 0, 1, 10; B at 2, 3. Queries ranked by distance, self excluded.
        let d = Matrix<Double>([[0], [1], [10], [2], [3]]).pairwiseDistances()
        let m = RetrievalMetrics(distances: d, labels: [0, 0, 0, 1, 1])
        // P@1: 0→1 ✓, 1→0 ✓ (tie 0 and 2 at distance 1: lower index), 10→3 ✗, 2→1 ✗(dist 1) vs 3 (dist 1): tie → index 1 ✗, 3→2 ✓.
        #expect(abs(m.precisionAt1 - 3.0 / 5.0) < 1e-12)
        // R-Precision: R=2 for A, 1 for B. q0: [1,3] → 1/2; q1: [0,3] → 1/2; q10: [3,2] → 0; q2: [1] → 0; q3: [2] → 1.
        #expect(abs(m.rPrecision - (0.5 + 0.5 + 0 + 0 + 1) / 5) < 1e-12)
        // MAP@R: q0: (1/1)/2; q1: (1/1)/2; q10: 0; q2: 0; q3: 1.
        #expect(abs(m.mapAtR - (0.5 + 0.5 + 0 + 0 + 1) / 5) < 1e-12)
    }
}
