// A look one optimiser step ahead: what the first update does to the fixed signal probe is a step-0
// risk feature (an Adam step moves every weight by about the learning rate whatever the gradient's
// size, so the learning rate alone cannot say how far the embedding moves).
import Estimators

extension TrainingRun {
    /// The verdict's rule on the fixed signal probe now and after each of the next `steps` training
    /// steps — exactly the steps this run will take next (same batches, same random streams) — after
    /// which the run is put back as it was (its checkpoint: parameters, optimiser moments, streams,
    /// sampler, statistics), so training from here is unchanged. The training set is not copied.
    /// Element 0 is now; each later one is judged against it, as signal records are against step 0.
    public func lookahead(steps: Int) throws -> [ProbeVerdict] {
        let saved = checkpoint()
        let now = probeVerdict(untrained: step == 0, reference: nil)
        var verdicts = [now], diverged = false
        for _ in 0..<max(steps, 0) {
            guard trainStep().loss.isFinite else { diverged = true; break }
            verdicts.append(probeVerdict(untrained: false, reference: now))
        }
        try restore(saved)
        if diverged { throw TrainingError("training diverged in its first steps; lower optimizer.learning_rate") }
        return verdicts
    }
}
