// The Runner end to end: determinism, resume through the file sink, the quality bar, and collapse.
import Foundation
import TestSupport
import Testing
import Datasets
import Trainer
@testable import Jobs

func trainSpec(_ json: String) throws -> JobSpec { try JobSpec.parse(Data(json.utf8)) }

/// The result document without its wall-clock timing (the only non-deterministic part).
func deterministicPart(_ path: String) throws -> JSONValue {
    guard case .object(var o) = try JSONValue.parse(try Data(contentsOf: URL(fileURLWithPath: path))) else { return .null }
    o["timing"] = nil
    return .object(o)
}

let smallSpec = #"{"kind":"train","dataset":{"type":"blobs","classes":5,"per_class":40,"dim":8,"separation":2},"model":{"hidden":[32],"embedding_dim":8},"sampler":{"classes_per_batch":4,"samples_per_class":4},"miner":"random","steps":90,"eval_every":30,"checkpoint_every":30}"#

/// The reference run (digits, batch-hard, 2000 steps), shared by the tests that need it.
let referenceResult: Result<TrainResult, Error> = Result {
    let sink = MemorySink()
    guard case .finished(let r) = try Runner().run(try JobSpec.parse(Data(ReferenceSpec.json.utf8)), sink: sink) else {
        throw RunError("reference run stopped")
    }
    return r
}

@Suite struct RunnerTests {
    @Test func sameSpecSameResultFile() throws {
        let a = TempFolder(), b = TempFolder()
        let spec = try trainSpec(smallSpec)
        _ = try Runner().run(spec, sink: try FileSink(directory: a.path))
        _ = try Runner().run(spec, sink: try FileSink(directory: b.path))
        let ra = try deterministicPart(a.path + "/result.json"), rb = try deterministicPart(b.path + "/result.json")
        #expect(ra == rb)
        #expect(ra["history"] != nil && ra["final"] != nil && ra["verdict"] != nil && ra["spec"] == spec.json)
        #expect(!FileManager.default.fileExists(atPath: a.path + "/checkpoint.bin"))
    }

    @Test func resumeThroughTheFileSinkMatches() throws {
        let whole = TempFolder(), parts = TempFolder()
        let spec = try trainSpec(smallSpec)
        _ = try Runner().run(spec, sink: try FileSink(directory: whole.path))
        guard case .stopped(let step) = try Runner().run(spec, sink: try FileSink(directory: parts.path), stopAfter: 45) else {
            Issue.record("did not stop"); return
        }
        #expect(step == 45)
        #expect(FileManager.default.fileExists(atPath: parts.path + "/checkpoint.bin"))
        guard case .finished(let r) = try Runner().run(spec, sink: try FileSink(directory: parts.path, resume: true)) else {
            Issue.record("did not finish"); return
        }
        #expect(r.resumedFromStep == 45 && r.timing.stepsThisProcess == 45)
        var a = try deterministicPart(whole.path + "/result.json"), b = try deterministicPart(parts.path + "/result.json")
        if case .object(var o) = a { o["resumed_from_step"] = nil; a = .object(o) }
        if case .object(var o) = b { o["resumed_from_step"] = nil; b = .object(o) }
        #expect(a == b)
        #expect(throws: RunError.self) { try FileSink(directory: TempFolder().path, resume: true).latestCheckpoint() }
    }

    @Test func referenceConfigMeetsTheQualityBar() throws {
        let r = try referenceResult.get()
        #expect(r.final.step == 2000)
        #expect(r.final.eval.precisionAt1 >= 0.95, "P@1 \(r.final.eval.precisionAt1)")
        #expect(r.final.eval.mapAtR >= 0.90, "MAP@R \(r.final.eval.mapAtR)")
        #expect(r.history.count == 11 && r.history.first?.step == 0)
        #expect(r.dataset.trainRows + r.dataset.testRows == 1797)
    }

    @Test func collapseIsDetectedAndTheReferenceIsHealthy() throws {
        // Batch-hard with a large batch (P×K = 320), a 2-D embedding and a high learning rate collapses.
        let collapsing = try trainSpec(#"{"kind":"train","dataset":{"type":"digits"},"miner":"batch-hard","model":{"hidden":[64],"embedding_dim":2},"sampler":{"classes_per_batch":10,"samples_per_class":32},"optimizer":{"learning_rate":0.05},"steps":300,"eval_every":100}"#)
        guard case .finished(let c) = try Runner().run(collapsing, sink: MemorySink()) else { Issue.record("stopped"); return }
        #expect(c.verdict == .collapsed)
        #expect(c.final.collapse.relativeSpread < 0.05, "relative spread \(c.final.collapse.relativeSpread)")
        #expect(c.final.activeFraction > 0.99)
        let reference = try referenceResult.get()
        #expect(reference.verdict == .healthy)
        #expect(reference.final.collapse.relativeSpread > 0.5)
        #expect(!reference.final.collapse.lossAtMargin)
    }

    @Test func divergenceIsAnErrorNotNaN() throws {
        let spec = try trainSpec(#"{"kind":"train","dataset":{"type":"blobs","classes":4,"per_class":20,"dim":4,"separation":0.5},"model":{"hidden":[16],"embedding_dim":4,"normalize":false},"loss":{"distance":"squared","margin":1},"optimizer":{"type":"sgd","learning_rate":10},"sampler":{"classes_per_batch":4,"samples_per_class":4},"steps":200}"#)
        do {
            _ = try Runner().run(spec, sink: MemorySink())
            Issue.record("no error")
        } catch let e as RunError {
            #expect(e.message.hasPrefix("training diverged: the loss is "))
            #expect(e.message.hasSuffix("lower optimizer.learning_rate"))
        }
    }
}

@Suite struct SlowStartTests {
    /// Evaluated every 2 steps at a tiny learning rate, a 2-D digits run is still at chance after its
    /// first steps: never a "first collapse" at step 2 (it has not trained yet).
    @Test func aRunThatHasNotLearnedYetIsNotCollapsed() throws {
        let spec = try trainSpec(#"{"kind":"train","dataset":{"type":"digits"},"model":{"hidden":[32],"embedding_dim":2},"sampler":{"classes_per_batch":10,"samples_per_class":4},"optimizer":{"type":"adam","learning_rate":0.00001},"steps":6,"eval_every":2,"estimators":{"iterations":20,"final_iterations":20}}"#)
        guard case .finished(let r) = try Runner().run(spec, sink: MemorySink()) else { Issue.record("stopped"); return }
        #expect(r.history.count == 4)
        for record in r.history {
            #expect(record.verdict != .collapsed, "step \(record.step): \(record.diagnosis.headline) \(record.diagnosis.reasons.map(\.code))")
        }
        if r.history[0].diagnosis.evidence.kappa < 0.2 {
            #expect(r.history.dropFirst().allSatisfy { $0.diagnosis.reasons.contains { $0.code == .stillAtChance } || $0.diagnosis.evidence.kappa >= 0.2 })
        }
    }
}
