// The collapse warning (issue 13, first rule): fires on the signals of a collapsing run and not on a
// healthy run whose spread drops fast early; stop_on_warning ends the run there, evaluated; bad specs
// are named.
import Foundation
import Testing
@testable import Jobs
@testable import Trainer

@Suite struct CollapseWarningTests {
    func signal(_ step: Int, spread: Double, gap: Double, active: Double) -> StepSignals {
        StepSignals(step: step, loss: 0.2, lossRatio: 1.1, activeFraction: active, meanPositive: 0.1, meanNegative: 0.1 + gap, gap: gap,
                    batchSpread: spread, batchSpreadRatio: spread, outputNorm: 1, effectiveRank: 1)
    }

    @Test func theRuleNeedsEverySignalForTwoRecords() {
        let start = signal(0, spread: 1, gap: -1, active: 1)
        // Collapsing: tiny spread, negatives closer than positives, all triplets active — twice.
        #expect(WarningRule.check([start, signal(5, spread: 0.03, gap: -0.04, active: 1), signal(10, spread: 0.02, gap: -0.03, active: 1)])?.step == 10)
        // Once is not enough; step 0 never counts.
        #expect(WarningRule.check([start, signal(5, spread: 0.03, gap: -0.04, active: 1)]) == nil)
        // A fast early drop of spread with a gap that is not negative enough, or triplets no longer all active: no warning.
        #expect(WarningRule.check([start, signal(5, spread: 0.04, gap: 0.001, active: 1), signal(10, spread: 0.04, gap: 0.002, active: 1)]) == nil)
        #expect(WarningRule.check([start, signal(5, spread: 0.03, gap: -0.04, active: 0.7), signal(10, spread: 0.02, gap: -0.03, active: 0.7)]) == nil)
        #expect(WarningRule.check([start, signal(5, spread: 0.2, gap: -0.2, active: 1), signal(10, spread: 0.2, gap: -0.2, active: 1)]) == nil)
        let w = WarningRule.check([start, signal(5, spread: 0.03, gap: -0.04, active: 1), signal(10, spread: 0.02, gap: -0.03, active: 1)])
        #expect(w?.reasons.map(\.code) == ["batch_spread_collapsing", "negatives_closer_than_positives", "margin_violated_everywhere"])
    }

    func run(_ spec: String) throws -> TrainResult {
        guard case .finished(let r) = try Runner().run(try JobSpec.parse(Data(spec.utf8)), sink: MemorySink()) else { throw RunError("not finished") }
        return r
    }

    @Test func aCollapsingRunWarnsAndAHealthyOneDoesNot() throws {
        // Digits, batch-hard, B = 320 into n = 2 at a high learning rate: collapses; n = 8, K = 4: healthy.
        let base = #""kind":"train","dataset":{"type":"digits"},"optimizer":{"learning_rate":0.05},"steps":150,"eval_every":50,"warning":{"stride":5},"estimators":{"probe_size":64,"iterations":10,"final_iterations":10}"#
        let collapsing = try run("{\(base),\"model\":{\"hidden\":[128],\"embedding_dim\":2},\"sampler\":{\"classes_per_batch\":10,\"samples_per_class\":32}}")
        let warning = try #require(collapsing.warning)
        #expect(warning.step >= 10 && warning.step <= 60)
        let healthy = try run("{\(base),\"model\":{\"hidden\":[128],\"embedding_dim\":8},\"sampler\":{\"classes_per_batch\":10,\"samples_per_class\":4}}")
        #expect(healthy.warning == nil && healthy.verdict == .healthy)
        // stop_on_warning: ends at the warning, evaluated there, as succeeded.
        let stopped = try run("{\(base),\"model\":{\"hidden\":[128],\"embedding_dim\":2},\"sampler\":{\"classes_per_batch\":10,\"samples_per_class\":32},\"stop_on_warning\":true}")
        #expect(stopped.stoppedOnWarningAt == warning.step && stopped.final.step == warning.step && stopped.history.last?.step == warning.step)
    }

    @Test func stopOnWarningNeedsTheEstimators() {
        #expect(specError(#"{"kind":"train","dataset":{"type":"digits"},"stop_on_warning":true,"estimators":{"enabled":false}}"#)
                == "spec.stop_on_warning: needs estimators.enabled: the verdict a stopped run ends with comes from the estimators")
    }
}

@Suite struct WarningSummaryTests {
    func run(_ i: Int, _ state: String, _ verdict: Verdict?, collapse: Int?, warning: Int?) -> SweepRun {
        SweepRun(index: i, id: nil, cell: 0, params: [:], state: state, verdict: verdict, firstCollapseStep: collapse, firstWarningStep: warning,
                 final: [:], error: nil)
    }

    @Test func leadsMissesAndFalseAlarms() {
        let w = WarningSummary([
            run(0, "succeeded", .collapsed, collapse: 50, warning: 20),   // warned 30 steps before
            run(1, "succeeded", .collapsed, collapse: 50, warning: 50),   // at the collapse: a miss
            run(2, "succeeded", .partial, collapse: 100, warning: 40),    // collapsed once, recovered: warned 60 before
            run(3, "succeeded", .collapsed, collapse: 0, warning: nil),   // collapsed from the start: a miss
            run(4, "succeeded", .healthy, collapse: nil, warning: 35),    // a false alarm
            run(5, "succeeded", .healthy, collapse: nil, warning: nil),
            run(6, "failed", nil, collapse: nil, warning: nil),           // not counted
        ])
        #expect(w.collapsedRuns == 4 && w.warnedBeforeCollapse == 2 && w.detectionRate == 0.5 && w.medianLeadSteps == 45)
        #expect(w.healthyRuns == 2 && w.falseAlarms == 1 && w.falseAlarmRate == 0.5)
        let none = WarningSummary([run(0, "succeeded", .healthy, collapse: nil, warning: nil)])
        #expect(none.detectionRate == nil && none.medianLeadSteps == nil && none.falseAlarmRate == 0)
    }
}
