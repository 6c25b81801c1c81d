// Running sums of training statistics between two evaluations.
import Triplets

/// Sums over the steps since the last evaluation; saved in checkpoints so a resumed run reports the same means.
struct StatsWindow: Codable, Equatable {
    var steps = 0
    var lossSum = 0.0
    var triplets = 0
    var active = 0
    var positiveSum = 0.0
    var negativeSum = 0.0
    var normSum = 0.0
    var learningRate = 0.0

    mutating func add(_ s: TripletLossStats, meanNorm: Double, learningRate: Double) {
        steps += 1
        lossSum += s.loss
        triplets += s.triplets
        active += s.active
        positiveSum += s.positiveDistanceSum
        negativeSum += s.negativeDistanceSum
        normSum += meanNorm
        self.learningRate = learningRate
    }

    var meanLoss: Double { steps > 0 ? lossSum / Double(steps) : 0 }
    var activeFraction: Double { triplets > 0 ? Double(active) / Double(triplets) : 0 }

    var stats: TrainingStats {
        TrainingStats(
            meanPositiveDistance: triplets > 0 ? positiveSum / Double(triplets) : 0,
            meanNegativeDistance: triplets > 0 ? negativeSum / Double(triplets) : 0,
            meanEmbeddingNorm: steps > 0 ? normSum / Double(steps) : 0,
            meanTriplets: steps > 0 ? Double(triplets) / Double(steps) : 0,
            learningRate: learningRate)
    }
}
