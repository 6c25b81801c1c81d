// What the run's first update does, measured before training (the step is taken, then undone). An Adam step moves
// every weight by about the learning rate whatever the gradient's size, so the learning rate alone
// cannot say how far the embedding moves: that depends on the network and the data. How far the
// untrained probe is from chance, how much of it the first step keeps and how much it contracts the
// probe carry the dataset into the risk (deploy/experiments/collapse-risk/forecast_fit.py measured
// them transferring across datasets where the learning rate's threshold did not).
//
// Tried and dropped: projecting the first step's contraction ρ forward (ρ^k) and asking the verdict's
// rule when the projected probe collapses — healthy runs' first steps contract as much (ρ 0.4–0.7 on
// the rings sweep) and then stop, so the projection warned 43 of 53 healthy runs.
import Estimators
import Trainer

/// The fixed signal probe now and after the run's first training step (taken, then undone).
public struct FirstStep: Sendable, Codable, Equatable {
    /// The probe now (untrained at step 0) and after one step, judged against it.
    public var before: ProbeVerdict
    public var after: ProbeVerdict
    /// Mean pairwise distance after the step over before it.
    public var spreadRatio: Double

    enum CodingKeys: String, CodingKey {
        case before, after
        case spreadRatio = "spread_ratio"
    }

    /// `run`'s first step from where it is now, taken and undone (`TrainingRun.lookahead`).
    public init(run: TrainingRun) throws {
        let probe = try run.lookahead(steps: 1)
        self.init(before: probe[0], after: probe[1])
    }

    public init(before: ProbeVerdict, after: ProbeVerdict) {
        self.before = before
        self.after = after
        spreadRatio = before.meanPairwiseDistance > 0 ? after.meanPairwiseDistance / before.meanPairwiseDistance : 1
    }
}
