// Issue 25: acting on the collapse warning — `on_warning` switches the miner or lowers the learning rate,
// resuming from the last rewind point before the warning; the result, a resumed run and a sweep say so.
import CollapseSignals
import Console
import Foundation
import Linalg
import Testing
@testable import Jobs
@testable import Trainer
import Triplets

@Suite struct OnWarningTests {
    /// digits, n = 2, K = 16, Adam at 0.05: batch-hard collapses here, and its signals warn first.
    func spec(onWarning: String, steps: Int = 150, seed: Int = 0) -> String {
        #"{"kind":"train","seed":\#(seed),"dataset":{"type":"digits"},"model":{"hidden":[128],"embedding_dim":2},"sampler":{"classes_per_batch":10,"samples_per_class":16},"optimizer":{"type":"adam","learning_rate":0.05},"steps":\#(steps),"eval_every":50,"estimators":{"probe_size":128,"iterations":60},"warning":{"risk":false}\#(onWarning)}"#
    }

    func run(_ spec: String) throws -> TrainResult {
        guard case .finished(let r) = try Runner().run(try JobSpec.parse(Data(spec.utf8)), sink: MemorySink()) else { throw RunError("not finished") }
        return r
    }

    @Test func switchingMinerGoesBackToTheLastRewindPointAndTrainsOnHealthy() throws {
        let plain = try run(spec(onWarning: ""))
        let acted = try run(spec(onWarning: #","on_warning":{"action":"switch_miner","miner":"collapse-aware","rewind_every":5}"#))
        #expect(plain.verdict == .collapsed && plain.onWarning == nil)
        let w = try #require(plain.warning, "batch-hard's signals warn")
        let i = try #require(acted.onWarning)
        #expect(i.action == .switchMiner && i.previousMiner == .batchHard && i.miner == .collapseAware)
        // The same run up to the warning: it fires at the same step, and the action resumes from the last
        // rewind point strictly before it.
        #expect(acted.warning?.step == w.step && i.warnedAt == w.step)
        #expect(i.resumedFrom == (w.step - 1) / 5 * 5)
        // One trajectory in the result: steps increase, the abandoned steps are gone.
        let steps = acted.history.map(\.step)
        #expect(steps == [0, 50, 100, 150])
        #expect(acted.verdict != .collapsed)
        #expect(acted.final.eval.precisionAt1 > plain.final.eval.precisionAt1 + 0.3)
        #expect(i.summary.contains("switched miner batch-hard → collapse-aware") && i.summary.contains("resumed from step \(i.resumedFrom)"))
    }

    @Test func loweringTheLearningRateTrainsOnAtTheLowerRate() throws {
        let r = try run(spec(onWarning: #","on_warning":{"action":"lower_learning_rate","factor":0.1}"#, steps: 100))
        let i = try #require(r.onWarning)
        #expect(i.action == .lowerLearningRate && i.factor == 0.1 && abs((i.learningRate ?? 0) - 0.005) < 1e-12)
        // The default rewind interval is eval_every: from step 0 for a warning in the first 50 steps.
        #expect(i.resumedFrom == (i.warnedAt - 1) / 50 * 50)
        for record in r.history where record.step > i.resumedFrom {
            #expect(abs(record.stats.learningRate - 0.005) < 1e-9, "step \(record.step) trained at \(record.stats.learningRate)")
        }
    }

    @Test func aSweepCountsTheRunsActedOnPerCell() throws {
        let sweep = try JobSpec.parse(Data(#"{"kind":"sweep","base":\#(spec(onWarning: #","on_warning":{"action":"switch_miner"}"#, steps: 50)),"grid":{"seed":[0,1]}}"#.utf8))
        guard case .swept(let r) = try Runner().run(sweep, sink: MemorySink()) else { throw RunError("no sweep result") }
        #expect(r.cells.count == 1 && r.cells[0].actedOnWarning == 2)
        #expect(r.runs.allSatisfy { $0.actedOnWarningAt != nil && $0.actedOnWarningAt == $0.firstWarningStep })
        let table = SweepTable.render(r)
        #expect(table.contains("acted_on_warning") && table.contains("ever_collapsed"), "\(table)")
    }

    @Test func aRunThatHadCollapsedBeforeItsActionCountsAsCollapsedAtSomeStep() throws {
        guard case .sweep(let sweep) = try JobSpec.parse(Data(#"{"kind":"sweep","base":{"dataset":{"type":"toy20"},"sampler":{"classes_per_batch":2,"samples_per_class":2},"steps":20},"grid":{"seed":[0,1,2]}}"#.utf8)) else {
            Issue.record("not a sweep"); return
        }
        func result(_ onWarning: JSONValue) -> JSONValue {
            .object(["verdict": .string("healthy"), "history": .array([]), "warning": .object(["step": .number(12)]), "on_warning": onWarning])
        }
        let r = SweepResult(sweep: sweep, outcomes: [
            SweepChildOutcome(index: 0, state: .succeeded, result: result(.object(["warned_at": .number(12), "abandoned_collapse_step": .number(9)]))),
            SweepChildOutcome(index: 1, state: .succeeded, result: result(.object(["warned_at": .number(12)]))),
            // on_warning: stop (or stop_on_warning): acted on too.
            SweepChildOutcome(index: 2, state: .succeeded, result: .object(["verdict": .string("healthy"), "history": .array([]),
                                                                            "warning": .object(["step": .number(12)]), "stopped_on_warning_at": .number(12)])),
        ])
        #expect(r.runs.map(\.firstCollapseStep) == [9, nil, nil] && r.runs.map(\.actedOnWarningAt) == [12, 12, 12])
        #expect(r.cells[0].actedOnWarning == 3)
        // The collapsed one was warned after its collapse (a miss); the two that never collapsed are
        // neither healthy runs nor false alarms: their outcome without the action is not observed.
        let w = try #require(r.warning)
        #expect(w.collapsedRuns == 1 && w.warnedBeforeCollapse == 0 && w.healthyRuns == 0 && w.falseAlarms == 0 && w.actedOnRuns == 2)
    }
}
