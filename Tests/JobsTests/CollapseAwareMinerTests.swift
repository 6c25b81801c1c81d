// Issue 25: the collapse-aware miner trains where batch-hard collapses, and stays batch-hard where the
// batch is already separated.
import Estimators
import Foundation
import Testing
@testable import Jobs
import Trainer

@Suite struct CollapseAwareMinerTests {
    /// The demo sweep's n = 2, K = 16 cell (digits, Adam at 0.05, α = 0.2, normalised): batch-hard
    /// collapses there for every seed of the miners experiment.
    func spec(_ miner: String) -> String {
        #"{"kind":"train","dataset":{"type":"digits"},"model":{"hidden":[128],"embedding_dim":2,"normalize":true},"loss":{"margin":0.2},"miner":"\#(miner)","sampler":{"classes_per_batch":10,"samples_per_class":16},"optimizer":{"type":"adam","learning_rate":0.05},"steps":300,"eval_every":100,"estimators":{"probe_size":128,"iterations":100},"warning":{"risk":false}}"#
    }

    func run(_ spec: String) throws -> TrainResult {
        guard case .finished(let r) = try Runner().run(try JobSpec.parse(Data(spec.utf8)), sink: MemorySink()) else { throw RunError("not finished") }
        return r
    }

    @Test func whereBatchHardCollapsesTheCollapseAwareMinerDoesNot() throws {
        let hard = try run(spec("batch-hard")), aware = try run(spec("collapse-aware"))
        #expect(hard.verdict == .collapsed)
        #expect(aware.verdict != .collapsed)
        #expect(aware.firstCollapseStep == nil && !aware.history.contains { $0.verdict == .collapsed }, "never collapsed")
        #expect(aware.final.eval.precisionAt1 > hard.final.eval.precisionAt1 + 0.3)
    }
}
