// Issue 25: an `on_warning` action is part of a run's state: a run resumed from a checkpoint taken
// after the action trains on exactly as the uninterrupted one.
import CollapseSignals
import Testing
@testable import Trainer
import Triplets

@Suite struct WarningActionTests {
    @Test func aRunResumedAfterTheActionMatchesTheUninterruptedOne() throws {
        // Forced step-0 warning on the small blobs run: the action is taken at step 0 and kept in checkpoints.
        let s = try blobSplit()
        func hooks(_ run: TrainingRun, action: WarningAction?) -> TrainingHooks {
            var h = TrainingHooks()
            h.signalsEvery = 10
            h.stepZeroWarning = [WarningReason(code: "test", message: "forced")]
            h.warningAction = action
            return h
        }
        let config = smallConfig(miner: .batchHard)
        let whole = try TrainingRun(config: config, train: s.train, test: s.test)
        try whole.run(hooks: hooks(whole, action: .switchMiner(.semiHard)))
        let i = try #require(whole.intervention)
        #expect(i.warnedAt == 0 && i.resumedFrom == 0 && i.miner == .semiHard)

        let first = try TrainingRun(config: config, train: s.train, test: s.test)
        var h = hooks(first, action: .switchMiner(.semiHard))
        var saved: TrainingCheckpoint?
        h.checkpointEvery = 30
        h.onCheckpoint = { saved = $0 }
        h.shouldStop = { first.step >= 30 }
        try first.run(hooks: h)
        let checkpoint = try TrainingCheckpoint(decoding: try #require(saved).encoded())
        let resumed = try TrainingRun(config: config, train: s.train, test: s.test, resumeFrom: checkpoint)
        #expect(resumed.intervention == i)
        try resumed.run(hooks: hooks(resumed, action: .switchMiner(.semiHard)))
        #expect(resumed.model.parameters.array == whole.model.parameters.array)
        #expect(resumed.history == whole.history)

        // Without the action the same run trains otherwise (the switch did change the miner).
        let plain = try TrainingRun(config: config, train: s.train, test: s.test)
        try plain.run(hooks: hooks(plain, action: nil))
        #expect(plain.intervention == nil && plain.model.parameters.array != whole.model.parameters.array)
    }
}
