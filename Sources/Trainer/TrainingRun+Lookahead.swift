// A look one optimiser step ahead, on a copy: what the first update does to the fixed signal probe is
// a step-0 risk feature (an Adam step moves every weight by about the learning rate
// whatever the gradient's size, so the learning rate alone cannot say how far the embedding moves).
import Estimators
import Linalg

extension TrainingRun {
    /// The verdict's rule on the fixed signal probe now and after each of the next `steps` training
    /// steps, taken on a copy of this run (this run, its batches and its random streams are untouched;
    /// the copy takes exactly the steps this run will take next). Element 0 is now; each later one is
    /// judged against it as the reference, as signal records are against step 0.
    public func lookahead(steps: Int) throws -> [ProbeVerdict] {
        let copy = try TrainingRun(config: config, train: train, test: test, resumeFrom: checkpoint())
        let margin = config.loss.marginDistance
        let now = ProbeVerdict(points: copy.embed(signalProbe.features).converted(to: Double.self), labels: signalProbe.labels,
                               margin: margin, untrained: step == 0, reference: nil)
        var verdicts = [now]
        for _ in 0..<max(steps, 0) {
            guard copy.trainStep().loss.isFinite else { throw TrainingError("training diverged in its first steps; lower optimizer.learning_rate") }
            verdicts.append(ProbeVerdict(points: copy.embed(signalProbe.features).converted(to: Double.self), labels: signalProbe.labels,
                                         margin: margin, untrained: false, reference: now))
        }
        return verdicts
    }
}
