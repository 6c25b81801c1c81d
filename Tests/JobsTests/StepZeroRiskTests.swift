// Issue 22, the predictor: a train run measures its step-0 collapse risk before training and warns
// at step 0 when the risk reaches its threshold; a resumed run reports the same risk; a sweep ranks
// its runs by it (risk_auc).
import CollapseRisk
import CollapseSignals
import Foundation
import Testing
import TestSupport
@testable import Jobs

@Suite struct StepZeroRiskTests {
    func spec(dim: Int, perClass: Int, warning: String = #"{"stride":2}"#, miner: String = "batch-hard") -> String {
        #"{"kind":"train","dataset":{"type":"digits"},"miner":"\#(miner)","model":{"hidden":[64],"embedding_dim":\#(dim)},"sampler":{"classes_per_batch":10,"samples_per_class":\#(perClass)},"optimizer":{"learning_rate":0.2},"steps":30,"eval_every":30,"warning":\#(warning),"estimators":{"enabled":false},"checkpoint_every":10}"#
    }

    func run(_ text: String, sink: ResultSink = MemorySink(), stopAfter: Int? = nil) throws -> RunOutcome {
        try Runner().run(try JobSpec.parse(Data(text.utf8)), sink: sink, stopAfter: stopAfter)
    }

    @Test func aCollapsingConfigurationWarnsAtStepZeroAndAHealthyOneDoesNot() throws {
        // n = 2 with B = 320 collapses in its first steps; n = 16 with B = 40 trains.
        guard case .finished(let risky) = try run(spec(dim: 2, perClass: 32)),
              case .finished(let safe) = try run(spec(dim: 16, perClass: 4)) else { Issue.record("not finished"); return }
        let r = try #require(risky.collapseRisk), s = try #require(safe.collapseRisk)
        #expect(r.risk >= r.threshold && s.risk < s.threshold, "risks \(r.risk) and \(s.risk), threshold \(r.threshold)")
        #expect(risky.warning?.step == 0 && risky.warning?.reasons.first?.code == "collapse_risk")
        #expect(risky.firstCollapseStep.map { $0 > 0 } == true)
        #expect(safe.warning == nil || safe.warning!.step > 0)
        #expect(r.reasons.map(\.code) == ["mechanism_ratio", "batch_over_dimension", "gap_over_spread", "learning_rate", "margin",
                                           "first_step_kappa", "first_step_contraction"])
        #expect(r.features.margin == 0.2)
        // The first step was taken on a copy: the untrained probe, then the probe after the run's own first step.
        let first = try #require(r.features.firstStep)
        #expect(first.before.verdict != .collapsed && first.spreadRatio == first.after.meanPairwiseDistance / first.before.meanPairwiseDistance)
        #expect(r.features.batches.count == StepZeroFeatures.batchCount && r.features.batchSize == 320 && r.features.embeddingDim == 2)
    }

    @Test func aMinerTheRiskWasNotFittedForIsNotWarnedAtStepZero() throws {
        // The configuration above that warns batch-hard at step 0: semi-hard and collapse-aware runs get
        // the same kind of risk, reported with the reason it does not warn, and no step-0 warning.
        for miner in ["semi-hard", "collapse-aware"] {
            guard case .finished(let result) = try run(spec(dim: 2, perClass: 32, miner: miner)) else { Issue.record("not finished"); return }
            let r = try #require(result.collapseRisk)
            #expect(r.risk >= r.threshold && r.miner == miner && !r.warns, "\(miner): \(r.risk)")
            #expect(r.reasons.last?.code == "miner_not_calibrated")
            #expect(result.warning.map { $0.step > 0 && $0.reasons.first?.code != "collapse_risk" } ?? true, "\(miner): \(String(describing: result.warning))")
        }
    }

    @Test func aResumedRunReportsTheSameRiskAndTheRiskCanBeOff() throws {
        let folder = TempFolder(), whole = TempFolder()
        let text = spec(dim: 2, perClass: 8)
        _ = try run(text, sink: try FileSink(directory: folder.path), stopAfter: 10)
        guard case .finished(let resumed) = try run(text, sink: try FileSink(directory: folder.path)),
              case .finished(let uninterrupted) = try run(text, sink: try FileSink(directory: whole.path)) else { Issue.record("not finished"); return }
        #expect(resumed.collapseRisk != nil && resumed.collapseRisk == uninterrupted.collapseRisk)
        guard case .finished(let off) = try run(spec(dim: 2, perClass: 8, warning: #"{"stride":2,"risk":false}"#)) else { Issue.record("not finished"); return }
        #expect(off.collapseRisk == nil && off.warning?.step != 0)
    }

    @Test func aSweepRanksItsRunsByTheRisk() throws {
        let runs = [SweepRun(index: 0, cell: 0, params: [:], state: .succeeded, firstCollapseStep: 4, final: [:], collapseRisk: 0.9),
                    SweepRun(index: 1, cell: 0, params: [:], state: .succeeded, firstCollapseStep: nil, final: [:], collapseRisk: 0.2),
                    SweepRun(index: 2, cell: 0, params: [:], state: .succeeded, firstCollapseStep: 6, final: [:], collapseRisk: 0.1),
                    SweepRun(index: 3, cell: 0, params: [:], state: .succeeded, firstCollapseStep: nil, final: [:], collapseRisk: 0.1)]
        // Positives 0.9 and 0.1 against negatives 0.2 and 0.1: wins 1 + 1 + 0 + 0.5 of 4.
        #expect(WarningSummary(runs).riskAUC == 2.5 / 4)
        #expect(WarningSummary(Array(runs.prefix(1))).riskAUC == nil)
    }
}
