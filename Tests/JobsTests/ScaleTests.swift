// Analysis and evaluation at benchmark scale, in miniature where the scale itself is not the point:
// a train run whose test split has 50,000 rows evaluates (no N × N matrix, no cap); an analysis of
// many small classes keeps classes in its probe; degenerate inputs fail before the heavy work with a
// clear error, and nothing non-finite reaches result.json.
import Foundation
import TestSupport
import Testing
import Datasets
import Linalg
@testable import Jobs

@Suite struct ScaleTests {
    @Test func aTestSplitOf50000RowsEvaluatesWithoutACap() throws {
        let spec = try JobSpec.parse(Data(#"{"kind":"train","dataset":{"type":"blobs","classes":50,"per_class":2000,"dim":8},"split":{"test_fraction":0.5},"model":{"hidden":[16],"embedding_dim":8},"sampler":{"classes_per_batch":4,"samples_per_class":4},"steps":2,"eval_every":2,"estimators":{"probe_size":64,"iterations":5}}"#.utf8))
        let sink = MemorySink()
        guard case .finished(let result) = try Runner().run(spec, sink: sink) else { Issue.record("did not finish"); return }
        #expect(result.dataset.testRows == 50_000)
        #expect(result.final.eval.precisionAt1 > 0.5 && result.final.eval.precisionAt1 <= 1)
        #expect(result.history.count == 2)
    }

    /// Many classes of 2–6 points: a stratified probe would keep single points of most classes.
    func manySmallClasses(dir: String, rows: Int = 3000, dim: Int = 16) throws {
        var rng = SeededRNG(seed: 3, stream: 1)
        var labels: [Int] = []
        var c = 0
        while labels.count < rows { let size = 2 + rng.int(below: 5); labels += Array(repeating: c, count: min(size, rows - labels.count)); c += 1 }
        if labels.count >= 2 && labels[labels.count - 1] != labels[labels.count - 2] { labels[labels.count - 1] = labels[labels.count - 2] }
        var m = Matrix<Double>(rows: rows, cols: dim)
        let centres = (0..<c).map { _ in (0..<dim).map { _ in rng.normal() } }
        for i in 0..<rows { for j in 0..<dim { m[i, j] = centres[labels[i]][j] + 0.3 * rng.normal() } }
        _ = FileManager.default.createFile(atPath: dir + "/x.npy", contents: Data(NPYWriter.encode(m)))
        _ = FileManager.default.createFile(atPath: dir + "/y.npy", contents: Data(NPYWriter.encode(labels: labels)))
    }

    @Test func probesKeepClassesOnSetsOfManySmallClasses() throws {
        let dir = TempFolder()
        try manySmallClasses(dir: dir.path)
        let spec = try JobSpec.parse(Data(#"{"kind":"analyze","dataset":{"type":"npy","features":"x.npy","labels":"y.npy"},"probe_size":500,"iterations":5}"#.utf8))
        let out = TempFolder()
        guard case .analyzed(let r) = try Runner(dataRoot: DataRoot(path: dir.path)).run(spec, sink: try FileSink(directory: out.path)) else {
            Issue.record("no analysis"); return
        }
        #expect(r.final.estimators.probe.size == 500 && r.final.estimators.probe.subset)
        #expect(r.final.estimators.lHard.isFinite && r.final.losses.batchHard.isFinite && r.final.losses.semiHard.isFinite)
        // The written result parses (no inf or NaN in it).
        let text = try String(contentsOfFile: out.path + "/result.json", encoding: .utf8)
        #expect(try JSONValue.parse(Data(text.utf8))["final"]?["estimators"]?["l_hard"] != nil)
        // Every class in the kept probe has at least two points.
        let rows = try NPYArtifact.integers(try Data(contentsOf: URL(fileURLWithPath: out.path + "/artifacts/probe_rows.npy")).map { $0 }, name: "rows")
        let labels = try NPYArtifact.integers(try Data(contentsOf: URL(fileURLWithPath: out.path + "/artifacts/probe_labels.npy")).map { $0 }, name: "labels")
        #expect(rows.count == 500)
        #expect(Dictionary(grouping: labels, by: { $0 }).values.allSatisfy { $0.count >= 2 })
    }

    @Test func degenerateInputsFailFirstWithAClearError() throws {
        let dir = TempFolder()
        try manySmallClasses(dir: dir.path)
        func error(_ spec: String) -> String? {
            do {
                _ = try Runner(dataRoot: DataRoot(path: dir.path)).run(try JobSpec.parse(Data(spec.utf8)), sink: MemorySink())
                return nil
            } catch { return "\(error)" }
        }
        let base = #""kind":"analyze","dataset":{"type":"npy","features":"x.npy","labels":"y.npy"}"#
        #expect(error("{\(base),\"probe_size\":5000}") == "spec.probe_size: 5000 is larger than the set (3000 points)")
        #expect(error("{\(base),\"probe_per_class\":1}") == "spec.probe_per_class: must be at least 2")
        #expect(error("{\(base),\"probe_size\":3}") == "spec.probe_size: must be between 4 and 20000, got 3")
        // Every class a single sample: refused when the data is loaded (lone classes are taken, but two need a pair).
        var m = Matrix<Double>(rows: 20, cols: 2)
        for i in 0..<20 { m[i, 0] = Double(i) }
        _ = FileManager.default.createFile(atPath: dir.path + "/ones.npy", contents: Data(NPYWriter.encode(m)))
        _ = FileManager.default.createFile(atPath: dir.path + "/onel.npy", contents: Data(NPYWriter.encode(labels: Array(0..<20))))
        #expect(error(#"{"kind":"analyze","dataset":{"type":"npy","features":"ones.npy","labels":"onel.npy"}}"#)?.contains("has 0 classes with two or more samples (of 20 classes; the others are single points)") == true)
        // A header claiming more rows than the file holds.
        var bytes = NPYWriter.encode(m)
        bytes.removeLast(80)
        _ = FileManager.default.createFile(atPath: dir.path + "/short.npy", contents: Data(bytes))
        let short = error(#"{"kind":"analyze","dataset":{"type":"npy","features":"short.npy","labels":"onel.npy"}}"#)
        #expect(short?.hasPrefix("spec.dataset.features:") == true, "\(short ?? "nil")")
    }
}
