// The training loop: determinism, checkpoints that resume bit for bit, learning on separable data.
import Testing
import Datasets
import Estimators
import Linalg
@testable import Trainer
@testable import Triplets

func blobSplit(seed: UInt64 = 0) throws -> DataSplit {
    let data = BuiltinDatasets.blobs(BlobsParameters(classes: 6, perClass: 30, dim: 8, separation: 2, seed: seed))
    var rng = SeededRNG(seed: seed)
    return try SplitRule.byInstance(testFraction: 0.3).apply(to: data, rng: &rng)
}

func smallConfig(miner: Miner = .batchHard, steps: Int = 60) -> TrainingConfig {
    TrainingConfig(model: MLPShape(inputDim: 8, hidden: [32], embeddingDim: 8, normalize: true),
                   loss: TripletLossConfig(), miner: miner, classesPerBatch: 4, samplesPerClass: 4,
                   optimizer: OptimizerConfig(learningRate: 3e-3), steps: steps, evalEvery: 20, seed: 5)
}

@Suite struct TrainingRunTests {
    @Test func sameConfigSameNumbers() throws {
        let s = try blobSplit()
        let a = try TrainingRun(config: smallConfig(miner: .random), train: s.train, test: s.test)
        let b = try TrainingRun(config: smallConfig(miner: .random), train: s.train, test: s.test)
        try a.run()
        try b.run()
        #expect(a.history == b.history)
        #expect(a.model.parameters.array == b.model.parameters.array)
        #expect(a.history.map(\.step) == [0, 20, 40, 60])
    }

    @Test(arguments: [Miner.batchHard, .random, .semiHard, .collapseAware])
    func resumedRunMatchesUninterrupted(miner: Miner) throws {
        let s = try blobSplit()
        let whole = try TrainingRun(config: smallConfig(miner: miner), train: s.train, test: s.test)
        try whole.run()

        let first = try TrainingRun(config: smallConfig(miner: miner), train: s.train, test: s.test)
        var saved: TrainingCheckpoint?
        var hooks = TrainingHooks()
        hooks.checkpointEvery = 30
        hooks.onCheckpoint = { saved = $0 }
        hooks.shouldStop = { first.step >= 30 }
        try first.run(hooks: hooks)
        let checkpoint = try TrainingCheckpoint(decoding: try #require(saved).encoded())
        #expect(checkpoint.step == 30)
        #expect(checkpoint == saved)

        let resumed = try TrainingRun(config: smallConfig(miner: miner), train: s.train, test: s.test, resumeFrom: checkpoint)
        try resumed.run()
        #expect(resumed.history == whole.history)
        #expect(resumed.model.parameters.array == whole.model.parameters.array)
        #expect(resumed.stepsThisProcess == 30)
    }

    @Test func theLookaheadTakesTheRunsOwnNextStepsAndPutsItBack() throws {
        // The step-0 risk's first step: the steps looked ahead are the run's own next ones (same batches,
        // same streams), and the run is put back as it was: training from there is unchanged.
        let s = try blobSplit()
        let run = try TrainingRun(config: smallConfig(), train: s.train, test: s.test)
        let plain = try TrainingRun(config: smallConfig(), train: s.train, test: s.test)
        let ahead = try run.lookahead(steps: 2)
        #expect(ahead.count == 3 && run.checkpoint() == plain.checkpoint())
        #expect(ahead[0].verdict != .collapsed && ahead[1].meanPairwiseDistance != ahead[0].meanPairwiseDistance)
        for _ in 0..<2 {
            run.trainStep()
            plain.trainStep()
        }
        #expect(run.model.parameters.array == plain.model.parameters.array)
        let now = ProbeVerdict(points: run.embed(run.signalProbe.features).converted(to: Double.self), labels: run.signalProbe.labels,
                               margin: run.config.loss.marginDistance, untrained: false, reference: ahead[0])
        #expect(now == ahead[2])
        // Mid-run too: a look ahead from step 2 leaves the rest of the run as it would have been.
        _ = try run.lookahead(steps: 3)
        try run.run()
        try plain.run()
        #expect(run.model.parameters.array == plain.model.parameters.array && run.history == plain.history)
    }

    @Test func checkpointForAnotherConfigIsRefused() throws {
        let s = try blobSplit()
        let run = try TrainingRun(config: smallConfig(), train: s.train, test: s.test)
        let checkpoint = run.checkpoint()
        #expect(throws: TrainingError.self) {
            try TrainingRun(config: smallConfig(steps: 61), train: s.train, test: s.test, resumeFrom: checkpoint)
        }
        var bytes = try checkpoint.encoded()
        bytes.removeLast(10)
        #expect(throws: TrainingError("checkpoint: truncated tensors")) { try TrainingCheckpoint(decoding: bytes) }
        #expect(throws: TrainingError("checkpoint: not an isomine checkpoint (bad magic)")) { try TrainingCheckpoint(decoding: [1, 2, 3]) }
    }

    @Test(arguments: Miner.allCases)
    func everyMinerTrainsOnBlobs(miner: Miner) throws {
        let s = try blobSplit()
        let run = try TrainingRun(config: smallConfig(miner: miner, steps: 120), train: s.train, test: s.test)
        try run.run()
        let first = try #require(run.history.first), last = try #require(run.history.last)
        #expect(last.step == 120)
        #expect(last.loss.isFinite && last.eval.mapAtR.isFinite)
        if miner != .hardestTriplet {
            #expect(last.eval.mapAtR > first.eval.mapAtR, "\(miner): MAP@R \(first.eval.mapAtR) → \(last.eval.mapAtR)")
        }
        #expect(first.collapse.relativeSpread == 1)
        #expect(last.stats.meanTriplets > 0)
    }
}
