// The collapse warning (issue 13): the rule fires on the signals of a collapsing run and not on a
// healthy run whose spread drops fast early; stop_on_warning ends the run there, evaluated; bad specs
// are named; the sweep summary counts leads, misses and false alarms; the checkpoint (series) rule.
import CollapseSignals
import TestSupport
import Foundation
import Testing
import Linalg
@testable import Jobs
import Console
@testable import Trainer

@Suite struct CollapseWarningTests {
    func signal(_ step: Int, spread: Double, gap: Double, active: Double) -> StepSignals {
        StepSignals(step: step, loss: 0.2, lossRatio: 1.1, activeFraction: active, meanPositive: 0.1, meanNegative: 0.1 + gap, gap: gap,
                    batchSpread: spread, batchSpreadRatio: spread, outputNorm: 1, effectiveRank: 1)
    }

    @Test func theRuleNeedsEverySignal() {
        let start = signal(0, spread: 1, gap: -1, active: 1)
        // Collapsing: the spread under 0.08 of step 0's, negatives well inside the positives, every triplet active.
        #expect(WarningRule.check([start, signal(4, spread: 0.06, gap: -0.06, active: 1)], margin: 0)?.step == 4)
        // Step 0 never counts, whatever its signals.
        #expect(WarningRule.check([signal(0, spread: 0.01, gap: -1, active: 1)], margin: 0) == nil)
        // A fast early drop of spread with a gap near zero, triplets no longer all active, or a spread
        // still above the threshold: no warning.
        #expect(WarningRule.check([start, signal(4, spread: 0.06, gap: -0.03, active: 1)], margin: 0) == nil)
        #expect(WarningRule.check([start, signal(4, spread: 0.06, gap: -0.06, active: 0.7)], margin: 0) == nil)
        #expect(WarningRule.check([start, signal(4, spread: 0.09, gap: -0.2, active: 1)], margin: 0) == nil)
        // Only the latest record decides: an earlier firing record was already reported when it came.
        #expect(WarningRule.check([start, signal(4, spread: 0.06, gap: -0.06, active: 1), signal(6, spread: 0.2, gap: 0, active: 1)], margin: 0) == nil)
        // A batch collapsed to one point has no spread to compare the gap with: it warns.
        #expect(WarningRule.check([start, signal(4, spread: 0, gap: 0, active: 1)], margin: 0)?.step == 4)
        let w = WarningRule.check([start, signal(4, spread: 0.06, gap: -0.06, active: 1)], margin: 0)
        #expect(w?.reasons.map(\.code) == ["batch_spread_collapsing", "negatives_closer_than_positives", "margin_violated_everywhere"])
        #expect(w?.reasons.allSatisfy { !$0.message.isEmpty } == true)
    }

    @Test func theBatchDistanceClauseDetectsDistancesCollapsedAgainstTheMargin() {
        let start = signal(0, spread: 1, gap: -1, active: 1)
        // Under 0.25 α with every triplet active: a warning even though the gap keeps the ranking (it detects).
        let w = WarningRule.check([start, signal(2, spread: 0.04, gap: -0.001, active: 1)], margin: 0.2)
        #expect(w?.step == 2 && w?.reasons.map(\.code) == ["batch_distances_collapsed", "margin_violated_everywhere"])
        #expect(w?.reasons.first?.message.contains("0.2 α (α = 0.2), under the verdict's 0.25 α") == true, "\(w?.reasons.first?.message ?? "")")
        // At 0.25 α, with triplets not all active, at step 0 or without a margin: none.
        #expect(WarningRule.check([start, signal(2, spread: 0.05, gap: -0.001, active: 1)], margin: 0.2) == nil)
        #expect(WarningRule.check([start, signal(2, spread: 0.04, gap: -0.001, active: 0.5)], margin: 0.2) == nil)
        #expect(WarningRule.check([signal(0, spread: 0.04, gap: 0, active: 1)], margin: 0.2) == nil)
        #expect(WarningRule.check([start, signal(2, spread: 0.04, gap: -0.001, active: 1)], margin: 0) == nil)
        // On the loss's own scale: the same distances are collapsed against α = 0.5, not against α = 0.2.
        #expect(WarningRule.check([start, signal(2, spread: 0.1, gap: 0, active: 1)], margin: 0.5) != nil)
        #expect(WarningRule.check([start, signal(2, spread: 0.1, gap: 0, active: 1)], margin: 0.2) == nil)
        // When both clauses hold, the predictive one's reasons are given.
        #expect(WarningRule.check([start, signal(2, spread: 0.01, gap: -0.01, active: 1)], margin: 0.2)?.reasons.first?.code == "batch_spread_collapsing")
    }

    @Test func theTrendClauseWarnsDistancesHeadingUnderTheLine() {
        // α = 0.2: the line is 0.05. Records every 2 steps after step 0's.
        let start = signal(0, spread: 1, gap: -1, active: 1)
        func run(_ spreads: [Double], active: Double = 1) -> [StepSignals] {
            [start] + spreads.enumerated().map { signal(2 * ($0.offset + 1), spread: $0.element, gap: -0.001, active: active) }
        }
        // 0.1 → 0.0625 over 4 records (8 steps): −5.7 % a step, so 0.0625 × e^(2 · rate) = 0.0555: not yet under 0.05.
        #expect(WarningRule.check(run([0.1, 0.09, 0.08, 0.07, 0.0625]), margin: 0.2) == nil)
        // 0.1 → 0.055 over 4 records: −7.2 % a step; 0.055 × e^(2 · rate) = 0.0476 < 0.05, still above the line now: warns.
        let w = WarningRule.check(run([0.1, 0.09, 0.08, 0.065, 0.055]), margin: 0.2)
        #expect(w?.step == 10 && w?.reasons.map(\.code) == ["batch_distances_heading_under", "margin_violated_everywhere"])
        #expect(w?.reasons.first?.message.contains("0.275 α (α = 0.2) and has been falling by 7.2") == true, "\(w?.reasons.first?.message ?? "")")
        // Not with triplets no longer active, not without a margin, not when the spread rose, and not with
        // fewer than 4 records after step 0's (the untrained batch is not on the trajectory).
        #expect(WarningRule.check(run([0.1, 0.09, 0.08, 0.065, 0.055], active: 0.5), margin: 0.2) == nil)
        #expect(WarningRule.check(run([0.1, 0.09, 0.08, 0.065, 0.055]), margin: 0) == nil)
        #expect(WarningRule.check(run([0.05, 0.09, 0.08, 0.065, 0.055]), margin: 0.2) == nil)
        #expect(WarningRule.check(run([0.09, 0.08, 0.065, 0.055]), margin: 0.2) == nil)
        // Under the line already: the batch-distance clause speaks (it detects).
        #expect(WarningRule.check(run([0.1, 0.09, 0.08, 0.065, 0.045]), margin: 0.2)?.reasons.first?.code == "batch_distances_collapsed")
    }

    func run(_ spec: String) throws -> TrainResult {
        guard case .finished(let r) = try Runner().run(try JobSpec.parse(Data(spec.utf8)), sink: MemorySink()) else { throw RunError("not finished") }
        return r
    }

    @Test func aCollapsingRunWarnsAndAHealthyOneDoesNot() throws {
        // Digits, batch-hard, B = 320 into n = 2 at a high learning rate: collapses; n = 8, K = 4: healthy.
        let base = #""kind":"train","dataset":{"type":"digits"},"optimizer":{"learning_rate":0.05},"steps":150,"eval_every":50,"warning":{"stride":5,"risk":false},"estimators":{"probe_size":64,"iterations":10,"final_iterations":10}"#
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
        // A spec that would never evaluate (an interval of 0) is named; every accepted spec evaluates
        // at step 0, the last step and, with stop_on_warning, the step it stops at.
        #expect(specError(#"{"kind":"train","dataset":{"type":"digits"},"stop_on_warning":true,"eval_every":0}"#)
                == "spec.eval_every: must be at least 1")
    }
}

@Suite struct WarningSummaryTests {
    func run(_ i: Int, _ state: SweepRunState, _ verdict: Verdict?, collapse: Int?, warning: Int?, closest: Double? = nil) -> SweepRun {
        SweepRun(index: i, id: nil, cell: 0, params: [:], state: state, verdict: verdict, firstCollapseStep: collapse, firstWarningStep: warning,
                 final: [:], error: nil, closestProbeSpread: closest)
    }

    @Test func leadsMissesAndFalseAlarms() {
        let w = WarningSummary([
            run(0, .succeeded, .collapsed, collapse: 50, warning: 20),   // warned 30 steps before (0.6 of 50)
            run(1, .succeeded, .collapsed, collapse: 50, warning: 50),   // at the collapse: a miss
            run(2, .succeeded, .partial, collapse: 100, warning: 40),    // collapsed once, recovered: warned 60 before (0.6)
            run(3, .succeeded, .collapsed, collapse: 0, warning: nil),   // collapsed from the start: a miss
            run(4, .succeeded, .healthy, collapse: nil, warning: 35),    // a false alarm
            run(5, .succeeded, .healthy, collapse: nil, warning: nil),
            run(6, .failed, nil, collapse: nil, warning: nil),           // not counted
            run(7, .succeeded, .healthy, collapse: 25, warning: 20),     // ended healthy after a collapse: a collapsed run (0.2)
        ])
        #expect(w.collapsedRuns == 5 && w.warnedBeforeCollapse == 3 && w.detectionRate == 0.6 && w.medianLeadSteps == 30)
        #expect(w.medianLeadFraction == 0.6)
        #expect(w.healthyRuns == 2 && w.falseAlarms == 1 && w.falseAlarmRate == 0.5)
        let series = WarningSummary([run(0, .succeeded, .collapsed, collapse: 50, warning: 20)], warningStep: \.firstCheckpointWarningStep)
        #expect(series.collapsedRuns == 1 && series.warnedBeforeCollapse == 0, "the series rule reads its own step")
        let none = WarningSummary([run(0, .succeeded, .healthy, collapse: nil, warning: nil)])
        #expect(none.detectionRate == nil && none.medianLeadSteps == nil && none.falseAlarmRate == 0)
        #expect(w.nearMissAlarms == nil, "no run has the figure")
        #expect(w.neitherRuns == nil && none.neitherRuns == nil)
    }

    /// Runs that end partial without collapsing are in neither count, and the line says so, with how many
    /// were warned; an AUC that cannot be measured says why instead of vanishing.
    @Test func runsInNeitherCountAndAnUndefinedAUCAreSaid() {
        var partial = run(0, .succeeded, .partial, collapse: nil, warning: 0)
        partial.collapseRisk = 0.8
        var quiet = run(1, .succeeded, .partial, collapse: nil, warning: nil)
        quiet.collapseRisk = 0.1
        let w = WarningSummary([partial, quiet])
        #expect(w.neitherRuns == 2 && w.neitherWarned == 1 && w.riskRuns == 2 && w.riskAUC == nil)
        let line = SweepTable.warningLine(w)
        #expect(line.contains("0 of 0 healthy runs warned; 2 ended partial without collapsing, in neither count (1 of them warned); step-0 collapse risk AUC undefined: no run collapsed"), "\(line)")
        let off = WarningSummary([run(0, .succeeded, .collapsed, collapse: 4, warning: 2)])
        #expect(SweepTable.warningLine(off).contains("step-0 collapse risk not measured (warning.risk off)"))
        var risked = run(0, .succeeded, .collapsed, collapse: 4, warning: 2)
        risked.collapseRisk = 0.9
        #expect(SweepTable.warningLine(WarningSummary([risked])).contains("AUC undefined: every run with a risk collapsed"))
    }

    /// A run acted on at its warning that never collapsed (switched, slowed or stopped) cannot say
    /// whether the warning was right: it is no false alarm, in no count and not in the risk's AUC, and
    /// the line says how many; one that collapsed anyway is a collapsed run warned before it collapsed.
    @Test func runsActedOnWithoutCollapsingAreNotFalseAlarms() {
        func acted(_ i: Int, _ verdict: Verdict, collapse: Int?, risk: Double) -> SweepRun {
            var r = run(i, .succeeded, verdict, collapse: collapse, warning: 0)
            r.actedOnWarningAt = 0
            r.collapseRisk = risk
            return r
        }
        var quiet = run(3, .succeeded, .healthy, collapse: nil, warning: nil)
        quiet.collapseRisk = 0.1
        var alarm = run(4, .succeeded, .healthy, collapse: nil, warning: 6)
        alarm.collapseRisk = 0.3
        let w = WarningSummary([
            acted(0, .healthy, collapse: nil, risk: 0.9),     // switched and healthy: unobserved
            acted(1, .partial, collapse: nil, risk: 0.8),     // slowed, partial: unobserved, not "neither"
            acted(2, .collapsed, collapse: 12, risk: 0.95),   // collapsed after the action: a detection
            quiet, alarm,
        ])
        #expect(w.collapsedRuns == 1 && w.warnedBeforeCollapse == 1)
        #expect(w.healthyRuns == 2 && w.falseAlarms == 1 && w.neitherRuns == nil && w.actedOnRuns == 2)
        #expect(w.riskRuns == 3 && w.riskAUC == 1, "the unobserved runs' risks are left out of the AUC")
        let line = SweepTable.warningLine(w)
        #expect(line.contains("1 of 2 healthy runs warned (false-alarm rate 0.50); 2 acted on at the warning never collapsed, in neither count (whether they would have without the action is not observed)"), "\(line)")
        #expect(WarningSummary([quiet]).actedOnRuns == nil)
    }

    /// A false alarm whose run came within twice the collapse line (0.5 α) is counted as a near miss.
    @Test func nearMissFalseAlarms() {
        let w = WarningSummary([
            run(0, .succeeded, .healthy, collapse: nil, warning: 10, closest: 0.3),   // a near miss
            run(1, .succeeded, .healthy, collapse: nil, warning: 12, closest: 2.0),   // far from the line
            run(2, .succeeded, .healthy, collapse: nil, warning: nil, closest: 0.4),  // near, not warned
            run(3, .succeeded, .collapsed, collapse: 8, warning: 4, closest: 0.1),    // a detection
        ])
        #expect(w.falseAlarms == 2 && w.nearMissAlarms == 1)
        #expect(SweepTable.warningLine(w).contains("2 of 3 healthy runs warned (false-alarm rate 0.67; 1 of them near misses, the probe within 0.5 α)"),
                "\(SweepTable.warningLine(w))")
    }
}

@Suite struct SweepWarningSummaryTests {
    /// A sweep reports the series rule only when its runs recorded checkpoint signals (the estimators
    /// on): without them the rule was never applied.
    @Test func theSeriesRuleIsReportedOnlyWhereItRan() throws {
        func sweep(estimators: Bool) throws -> SweepResult {
            let spec = try JobSpec.parse(Data(#"{"kind":"sweep","base":{"kind":"train","dataset":{"type":"blobs","classes":4,"per_class":20,"dim":6},"model":{"hidden":[8],"embedding_dim":2},"sampler":{"classes_per_batch":4,"samples_per_class":4},"steps":20,"eval_every":10,"estimators":{"enabled":\#(estimators),"probe_size":16,"iterations":5}},"grid":{"seed":[0,1]}}"#.utf8))
            guard case .swept(let r) = try Runner().run(spec, sink: MemorySink()) else { throw RunError("no sweep result") }
            return r
        }
        let off = try sweep(estimators: false), on = try sweep(estimators: true)
        #expect(off.warning != nil && off.checkpointWarning == nil)
        #expect(on.warning != nil && on.checkpointWarning != nil)
    }
}

@Suite struct CheckpointWarningTests {
    /// Eight classes in R³ around centres of scale 4 × `separation`, unit noise, the whole scaled by `scale`.
    func cloud(scale: Double, separation: Double, seed: UInt64 = 5) -> (Matrix<Double>, [Int]) {
        var rng = SeededRNG(seed: seed)
        let centres = (0..<8).map { _ in (0..<3).map { _ in 4 * rng.normal() } }
        let labels = (0..<200).map { $0 / 25 }
        var x = Matrix<Double>(rows: 200, cols: 3)
        for i in 0..<200 { for j in 0..<3 { x[i, j] = scale * (centres[labels[i]][j] * separation + rng.normal()) + 3 } }
        return (x, labels)
    }

    func signals(_ c: (Matrix<Double>, [Int]), ratio: Double) -> StepSignals? {
        StepSignals.checkpoint(step: 2, points: c.0, labels: c.1, margin: 0.2, spreadRatio: ratio, effectiveRank: 2, seed: 0)
    }

    /// The checkpoint rule warns on a shrunken cloud whose classes merge, not on one whose classes stay
    /// apart at the same spread nor on a healthy one; the signals are deterministic per seed.
    @Test func checkpointSignalsWarnOnlyOnAMergingShrink() throws {
        let merging = try #require(signals(cloud(scale: 0.17, separation: 0.3), ratio: 0.07))
        #expect(merging.activeFraction == 1 && merging.gap / merging.batchSpread < WarningRule.gapBelow)
        let w = try #require(WarningRule.check(checkpoint: merging, reference: "the baseline step's"))
        #expect(w.step == 2 && w.reasons.first?.message.contains("probe's mean pairwise distance is 0.07 of the baseline step's") == true)
        let apart = try #require(signals(cloud(scale: 0.07, separation: 1), ratio: 0.07))
        #expect(apart.gap / apart.batchSpread > WarningRule.gapBelow && WarningRule.check(checkpoint: apart, reference: "x") == nil)
        let healthy = try #require(signals(cloud(scale: 1, separation: 1), ratio: 1))
        #expect(WarningRule.check(checkpoint: healthy, reference: "x") == nil)
        #expect(signals(cloud(scale: 0.17, separation: 0.3), ratio: 0.07) == merging)
        // One class: no batch-hard triplets, no signals.
        #expect(StepSignals.checkpoint(step: 1, points: Matrix<Double>(rows: 4, cols: 2), labels: [0, 0, 0, 0], margin: 0.2, spreadRatio: 1, effectiveRank: 1, seed: 0) == nil)
    }
}

@Suite struct SweepWarningOutputTests {
    /// `isomine run` of a sweep prints the warning summary per cell and overall, and the series rule's.
    @Test func runOfASweepPrintsTheWarningSummary() throws {
        let dir = TempFolder()
        let spec = dir.write("sweep.json", #"{"kind":"sweep","base":{"kind":"train","dataset":{"type":"digits"},"model":{"hidden":[64]},"sampler":{"classes_per_batch":10,"samples_per_class":32},"optimizer":{"learning_rate":0.2},"steps":40,"eval_every":20,"warning":{"stride":2},"estimators":{"probe_size":64,"iterations":5,"final_iterations":5}},"grid":{"model.embedding_dim":[2,16]}}"#)
        let r = try IsomineBinary.run(["run", spec, "--out", dir.path + "/out"])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("warned_before") && r.out.contains("false_alarms"))
        #expect(r.out.contains("\nwarning: ") && r.out.contains("collapsed runs warned before they collapsed"), "\(r.out)")
        #expect(r.out.contains("\nseries rule on the evaluations' probes: "), "\(r.out)")
        let result = try JSONValue.parse(try Data(contentsOf: URL(fileURLWithPath: dir.path + "/out/result.json")))
        #expect(result["warning"]?["collapsed_runs"] != nil && result["checkpoint_warning"]?["healthy_runs"] != nil)
        #expect(result["checkpoint_warning"]?["risk_auc"] == nil, "the risk's AUC is the per-step summary's")
        #expect(result["warning"]?["near_miss_false_alarms"] != nil, "every run has its closest approach")
        guard case .array(let runs)? = result["runs"] else { Issue.record("no runs"); return }
        // The n = 2 run with B = 320 warns; its first collapsed evaluation (if any) comes after.
        #expect(runs[0]["first_warning_step"] != nil && runs[0]["first_warning_step"] != .null)
        for run in runs {
            guard case .number(let closest)? = run["closest_probe_spread_over_margin"] else { Issue.record("no closest approach: \(run)"); continue }
            #expect(closest >= 0 && closest.isFinite)
        }
    }
}
