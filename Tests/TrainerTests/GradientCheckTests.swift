// Finite-difference check of the whole MLP gradient, for every loss, distance, normalisation and miner.
import Testing
import Linalg
@testable import Trainer
@testable import Triplets

@Suite struct GradientCheckTests {
    /// Loss of the MLP on a fixed batch, with the miner's RNG reset so every evaluation mines alike.
    func loss(_ model: MLP<Double>, _ ws: MLPWorkspace<Double>, _ objective: TripletObjective<Double>, _ labels: [Int], gradient: Bool) -> Double {
        model.forward(ws)
        var rng = SeededRNG(seed: 11)
        let s = labels.withUnsafeBufferPointer { l in
            objective.evaluate(embeddings: ws.embeddings, labels: l.baseAddress!, rng: &rng,
                               gradient: gradient ? ws.outputGradient.pointer : nil)
        }
        if gradient { model.backward(ws) }
        return s.loss
    }

    @Test(arguments: Miner.allCases)
    func mlpGradientMatchesFiniteDifferences(miner: Miner) {
        let labels = [0, 0, 0, 1, 1, 1, 2, 2, 2]
        for kind in TripletLossKind.allCases {
            for distance in DistanceKind.allCases {
                for normalize in [false, true] {
                    let shape = MLPShape(inputDim: 4, hidden: [6, 5], embeddingDim: 3, normalize: normalize)
                    var rng = SeededRNG(seed: 3)
                    let model = MLP<Double>(shape: shape, rng: &rng)
                    for i in 0..<model.parameters.count where model.parameters[i] == 0 { model.parameters[i] = rng.normal() * 0.1 }
                    let ws = MLPWorkspace<Double>(shape: shape, batch: labels.count)
                    for i in 0..<ws.input.count { ws.input[i] = rng.normal() }
                    let objective = TripletObjective<Double>(config: TripletLossConfig(kind: kind, margin: 0.5, distance: distance),
                                                             miner: miner, batch: labels.count, dim: 3)
                    let value = loss(model, ws, objective, labels, gradient: true)
                    #expect(value.isFinite && value > 0, "loss \(value) for \(miner) \(kind) \(distance) \(normalize)")
                    let analytic = model.gradients.array
                    let h = 1e-6
                    var worst = 0.0
                    for i in 0..<model.parameters.count {
                        let saved = model.parameters[i]
                        model.parameters[i] = saved + h
                        let up = loss(model, ws, objective, labels, gradient: false)
                        model.parameters[i] = saved - h
                        let down = loss(model, ws, objective, labels, gradient: false)
                        model.parameters[i] = saved
                        let numeric = (up - down) / (2 * h)
                        worst = max(worst, abs(numeric - analytic[i]) / max(1, abs(numeric), abs(analytic[i])))
                    }
                    #expect(worst < 1e-6, "relative error \(worst) for \(miner) \(kind) \(distance) normalize=\(normalize)")
                    #expect(analytic.contains { $0 != 0 })
                }
            }
        }
    }
}
