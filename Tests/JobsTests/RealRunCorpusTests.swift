// The verdict held to real PyTorch + pytorch-metric-learning runs (deploy/corpus/real-runs), the corpus'
// bad input, and float64 inputs outside Float32's range through an analyze job.
import Foundation
import TestSupport
import Testing
import Datasets

import Linalg
@testable import Jobs
@testable import Specs
@testable import Estimators

@Suite struct RealRunCorpusTests {
    @Test func everyFamilyOfTheRealRunCorpusIsJudgedAsItsCriterionSays() throws {
        let cases = try RealRunCorpus.run(projectRoot + "/deploy/corpus/real-runs", iterations: 5)
        #expect(cases.count >= 200)
        let families = Set(cases.map(\.checkpoint.family))
        #expect(families.count >= 6)
        for family in families.sorted() {
            let mine = cases.filter { $0.checkpoint.family == family }
            let right = mine.filter { $0.got == $0.checkpoint.expected }.count
            let accuracy = Double(right) / Double(mine.count)
            #expect(accuracy >= 0.95, "\(family): \(right)/\(mine.count); misses \(mine.filter { $0.got != $0.checkpoint.expected }.map { "\($0.checkpoint.run)@\($0.checkpoint.epoch) \($0.checkpoint.expected)→\($0.headline)" })")
        }
        // Every level occurs, and no untrained checkpoint is called collapsed.
        #expect(Set(cases.map(\.got)) == Set(VerdictLevel.allCases))
        #expect(!cases.contains { $0.checkpoint.untrained && $0.got == .collapsed })
    }

    @Test func aBadCorpusFolderIsAClearError() throws {
        let dir = NSTemporaryDirectory() + "isomine-corpus-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func message(_ body: () throws -> Void) -> String {
            do { try body(); return "" } catch { return "\(error)" }
        }
        #expect(message { _ = try RealRunCorpus.load(dir) }.contains("manifest.json: is missing"))
        try Data("{\"version\": 1, \"checkpoints\": [".utf8).write(to: URL(fileURLWithPath: dir + "/manifest.json"))
        #expect(message { _ = try RealRunCorpus.load(dir) }.contains("is not valid JSON"))
        try Data("{\"version\": 1, \"checkpoints\": [{\"run\": \"r\"}]}".utf8).write(to: URL(fileURLWithPath: dir + "/manifest.json"))
        #expect(message { _ = try RealRunCorpus.load(dir) }.contains("checkpoints[0] has no"))
        let entry = "{\"run\": \"r\", \"family\": \"f\", \"epoch\": 1, \"untrained\": false, \"embeddings\": \"e.npy\", \"labels\": \"l.npy\", \"expected\": \"healthy\", \"margin\": 0}"
        try Data("{\"version\": 1, \"checkpoints\": [\(entry)]}".utf8).write(to: URL(fileURLWithPath: dir + "/manifest.json"))
        #expect(message { _ = try RealRunCorpus.load(dir) }.contains("checkpoints[0].margin is 0.0; a margin must be greater than 0"))
        try Data("{\"version\": 1, \"checkpoints\": [\(entry.replacingOccurrences(of: "\"margin\": 0", with: "\"margin\": 0.2"))]}".utf8)
            .write(to: URL(fileURLWithPath: dir + "/manifest.json"))
        #expect(message { _ = try RealRunCorpus.load(dir) }.contains("names 'e.npy', which is not a file inside the corpus folder"))
        #expect(message { _ = try RealRunCorpus.load(dir + "/nowhere") }.contains("is not a folder"))
    }

    /// A strictly separated float64 set scaled by 1e-170 or 1e140 (outside Float32's range), its margin
    /// with it, reads healthy through an analyze job (never all_points_coincide); unscaled margins are named.
    @Test func float64InputOutsideFloat32RangeKeepsItsVerdict() throws {
        let dir = NSTemporaryDirectory() + "isomine-range-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rng = SeededRNG(seed: 9)
        let (x, labels) = VerdictBenchmark.healthy(96, 8, &rng)
        try Data(NPYWriter.encode(labels: labels)).write(to: URL(fileURLWithPath: dir + "/y.npy"))
        for scale in [1e-170, 1e140, 1.0] {
            var y = x
            for i in 0..<y.storage.count { y.storage[i] = y.storage[i] * scale + 3 * scale }
            try Data(NPYWriter.encode(y)).write(to: URL(fileURLWithPath: dir + "/x.npy"))
            var spec = AnalyzeSpec(dataset: .npy(features: "x.npy", labels: "y.npy"), margin: 0.2 * scale, iterations: 20)
            spec.name = "scaled \(scale)"
            let (result, _) = try Runner(dataRoot: DataRoot(path: dir)).runAnalyze(spec)
            #expect(result.verdict == .healthy, "\(scale): \(result.final.diagnosis.reasons.map(\.code))")
            #expect(!result.final.diagnosis.reasons.contains { $0.code == .allPointsCoincide })
            // Lengths are stated in the input's units.
            let spread = result.final.estimators.collapse.meanPairwiseDistance / scale
            #expect(spread > 1 && spread < 100, "\(scale): mean pairwise distance \(result.final.estimators.collapse.meanPairwiseDistance)")
            #expect(abs(result.final.diagnosis.evidence.margin / scale - 0.2) < 1e-12)
        }
        for margin in [0.0, -0.2] {
            do {
                _ = try JobSpec.parse(.object(["kind": .string("analyze"), "dataset": .object(["type": .string("digits")]), "margin": .number(margin)]))
                Issue.record("margin \(margin) was accepted")
            } catch let e as SpecError {
                #expect(e.path == "spec.margin" && e.message.contains("positive"), "\(e)")
            }
        }
    }
}
