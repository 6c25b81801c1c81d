// The trainer's per-step signals are StepSignals.batch of its batch: the one definition the Python
// monitor reproduces (Tests/WorkersTests/MonitorTests compares the two on the same batch).
import Testing
import CollapseSignals
import Datasets
import Linalg
@testable import Trainer

@Suite struct BatchSignalsTests {
    @Test func trainerSignalsAreTheBatchSignals() throws {
        let s = try blobSplit()
        var config = smallConfig()
        config.model.normalize = false
        let run = try TrainingRun(config: config, train: s.train, test: s.test)
        for _ in 0..<4 {
            let stats = run.trainStep()
            // The workspace still holds the step's batch embeddings: the update changes parameters only.
            let b = run.workspace.batch, n = config.model.embeddingDim
            let points = Matrix<Double>(rows: b, cols: n, storage: (0..<(b * n)).map { Double(run.workspace.embeddings[$0]) })
            let recorded = run.stepSignals(stats)
            let batch = StepSignals.batch(step: recorded.step, points: points, labels: run.batchLabels,
                                          margin: config.loss.margin, referenceSpread: run.baselineBatchSpread)
            let pairs: [(String, Double, Double)] = [
                ("loss", recorded.loss, batch.loss), ("loss_ratio", recorded.lossRatio, batch.lossRatio),
                ("active_fraction", recorded.activeFraction, batch.activeFraction), ("mean_positive", recorded.meanPositive, batch.meanPositive),
                ("mean_negative", recorded.meanNegative, batch.meanNegative), ("gap", recorded.gap, batch.gap),
                ("batch_spread", recorded.batchSpread, batch.batchSpread), ("batch_spread_ratio", recorded.batchSpreadRatio, batch.batchSpreadRatio),
                ("output_norm", recorded.outputNorm, batch.outputNorm), ("effective_rank", recorded.effectiveRank, batch.effectiveRank),
            ]
            // The trainer computes in Float; the batch signals in Double.
            for (name, a, b) in pairs { #expect(abs(a - b) <= 1e-5 * max(1, abs(a)), "\(name): trainer \(a), batch \(b)") }
        }
    }
}
