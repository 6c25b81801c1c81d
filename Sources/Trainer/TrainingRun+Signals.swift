// The per-step collapse signals of a training run, from the batch now in its workspace: everything but
// the batch's spread and effective rank comes with the step for free.
import CollapseSignals
import Estimators
import Linalg
import Triplets

extension TrainingRun {
    /// The signals of the batch now in the workspace, whose objective gave `stats`.
    func stepSignals(_ stats: TripletLossStats) -> StepSignals {
        let b = workspace.batch, n = config.model.embeddingDim
        let spread = objective.meanPairwiseDistance
        if baselineBatchSpread == 0 { baselineBatchSpread = spread }
        let e = Matrix<Double>(rows: b, cols: n, storage: (0..<(b * n)).map { Double(workspace.embeddings[$0]) })
        var norm = 0.0
        for i in 0..<b { norm += Double(workspace.outputNorms[i]) }
        var s = StepSignals(step: step, stats: stats, collapsedLoss: config.loss.collapsedValue, spread: spread,
                            referenceSpread: baselineBatchSpread, outputNorm: norm / Double(b), effectiveRank: effectiveRank(e))
        s.probe = probeVerdict()
        return s
    }

    /// The verdict's rule on the fixed signal probe now (step 0 is the untrained reference of the rest).
    func probeVerdict() -> ProbeVerdict {
        probeVerdict(untrained: step == 0, reference: step == 0 ? nil : signals.first?.probe)
    }

    /// The verdict's rule on the fixed signal probe now, judged against `reference`.
    func probeVerdict(untrained: Bool, reference: ProbeVerdict?) -> ProbeVerdict {
        ProbeVerdict(points: embed(signalProbe.features).converted(to: Double.self), labels: signalProbe.labels,
                     margin: config.loss.marginDistance, untrained: untrained, reference: reference)
    }
}
