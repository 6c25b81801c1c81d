// The per-step collapse signals (issue 13's foundation): recorded at step 0 and every warning.stride
// steps, kept across a resume, written as the artifact step_signals.json; a bad stride is named; the
// mechanism ratio read at warning.mechanism_every.
import CollapseSignals
import TestSupport
import Foundation
import Testing
@testable import Jobs
import Trainer

@Suite struct StepSignalsTests {
    let spec = #"{"kind":"train","dataset":{"type":"blobs","classes":4,"per_class":30,"dim":6},"model":{"hidden":[16],"embedding_dim":4},"sampler":{"classes_per_batch":4,"samples_per_class":4},"steps":60,"eval_every":30,"estimators":{"enabled":false},"warning":{"stride":20},"checkpoint_every":25}"#

    @Test func signalsAtTheStrideSurviveAResumeAndReachTheArtifact() throws {
        let dir = TempFolder()
        let job = try JobSpec.parse(Data(spec.utf8))
        // Stop after 30 steps (a checkpoint), then resume to the end.
        _ = try Runner().run(job, sink: try FileSink(directory: dir.path), stopAfter: 30)
        guard case .finished(let result) = try Runner().run(job, sink: try FileSink(directory: dir.path)) else { Issue.record("not finished"); return }
        #expect(result.artifacts?.contains("step_signals.json") == true)
        let data = try Data(contentsOf: URL(fileURLWithPath: dir.path + "/artifacts/step_signals.json"))
        let signals = try JSONDecoder().decode([StepSignals].self, from: data)
        #expect(signals.map(\.step) == [0, 20, 40, 60])
        #expect(signals[0].batchSpreadRatio == 1)
        for s in signals {
            #expect(s.lossRatio.isFinite && s.activeFraction >= 0 && s.activeFraction <= 1 && s.effectiveRank >= 1 && s.effectiveRank <= 4 + 1e-9)
        }
        // The same numbers as an uninterrupted run.
        let again = TempFolder()
        _ = try Runner().run(job, sink: try FileSink(directory: again.path))
        #expect(try Data(contentsOf: URL(fileURLWithPath: again.path + "/artifacts/step_signals.json")) == data)
    }

    @Test func theMechanismRatioIsReadAtItsOwnEveryAndResumesTheSame() throws {
        let json = spec.replacingOccurrences(of: #""warning":{"stride":20}"#, with: #""warning":{"stride":10,"mechanism_every":20}"#)
        let job = try JobSpec.parse(Data(json.utf8))
        func signals(_ dir: TempFolder) throws -> [StepSignals] {
            try JSONDecoder().decode([StepSignals].self, from: Data(contentsOf: URL(fileURLWithPath: dir.path + "/artifacts/step_signals.json")))
        }
        let whole = TempFolder(), resumed = TempFolder()
        _ = try Runner().run(job, sink: try FileSink(directory: whole.path))
        _ = try Runner().run(job, sink: try FileSink(directory: resumed.path), stopAfter: 30)
        _ = try Runner().run(job, sink: try FileSink(directory: resumed.path))
        let read = try signals(whole)
        #expect(read.map(\.step) == [0, 10, 20, 30, 40, 50, 60])
        // Step 0's ratio is the step-0 risk's; later ones only at multiples of 20.
        #expect(read.filter { $0.mechanismRatio != nil }.map(\.step) == [20, 40, 60])
        #expect(read.compactMap(\.mechanismRatio).allSatisfy { $0 > 0 && $0.isFinite })
        #expect(try signals(resumed) == read)
        #expect(read[2].metricRows.contains { $0.0 == "signal_mechanism_ratio" })
        #expect(!read[1].metricRows.contains { $0.0 == "signal_mechanism_ratio" })
    }

    @Test func aBadStrideIsNamed() {
        let base = #""kind":"train","dataset":{"type":"digits"},"steps":100"#
        #expect(specError("{\(base),\"warning\":{\"stride\":0}}") == "spec.warning.stride: must be between 1 and 100000000, got 0")
        #expect(specError("{\(base),\"warning\":{\"stride\":101}}") == "spec.warning.stride: 101 is larger than steps (100); the signals would never be recorded after step 0")
        #expect(specError("{\(base),\"warning\":{\"strid\":5}}")?.hasPrefix("spec.warning.strid: unknown field") == true)
        #expect(specError("{\(base),\"warning\":{\"stride\":2,\"mechanism_every\":3}}") == "spec.warning.mechanism_every: 3 is not a multiple of warning.stride (2); the ratio is measured at signal records")
        #expect(specError("{\(base),\"warning\":{\"mechanism_every\":-1}}") == "spec.warning.mechanism_every: must be between 0 and 100000000, got -1")
    }
}
