// Artifacts: the probe embeddings at the start and the end and the final f*, as .npy files that
// NumPy (and isomine's own loader) read back, consistent with the figures in the result.
import Foundation
import TestSupport
import Testing
import Datasets
import Linalg
@testable import Jobs

func loadNPY(_ dir: String, _ features: String, labels: String = "probe_labels.npy") throws -> LabeledData {
    let read = { (name: String) in [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/artifacts/" + name))) }
    return try NPYLoader.load(features: try read(features), labels: try read(labels), name: features, featuresField: features, labelsField: labels)
}

/// Mean pairwise Euclidean distance (the collapse signal's spread).
func spread(_ m: Matrix<Float>) -> Double {
    var total = 0.0, pairs = 0.0
    for i in 0..<m.rows {
        for j in (i + 1)..<m.rows {
            var s = 0.0
            for c in 0..<m.cols { let d = Double(m[i, c] - m[j, c]); s += d * d }
            total += s.squareRoot(); pairs += 1
        }
    }
    return total / pairs
}

@Suite struct ArtifactTests {
    @Test func npyWriterRoundTripsThroughTheLoader() throws {
        let m = Matrix<Double>(rows: 3, cols: 2, storage: [1, -2.5, 3, 4, 1e-3, 6])
        let x = NPYWriter.encode(m), y = NPYWriter.encode(labels: [7, -1, 7])
        #expect((x.count - 3 * 2 * 8) % 64 == 0)  // data starts on a 64-byte boundary
        let data = try NPYLoader.load(features: x, labels: y, name: "t", featuresField: "x", labelsField: "y")
        #expect(data.count == 3 && data.dimension == 2 && data.features.storage == m.storage.map(Float.init))
        #expect(data.labels.count == 3 && data.labels[0] == data.labels[2] && data.labels[0] != data.labels[1])
    }

    @Test func trainRunLeavesProbeEmbeddingsAndFStar() throws {
        let dir = TempFolder()
        guard case .finished(let r) = try Runner().run(try trainSpec(smallSpec), sink: try FileSink(directory: dir.path)) else {
            Issue.record("did not finish"); return
        }
        #expect(r.artifacts == ["probe_rows.npy", "probe_labels.npy", "probe_start.npy", "probe_final.npy", "f_star_iso.npy", "f_star_haus.npy", "step_signals.json"])
        let e = try #require(r.final.estimators)
        let start = try loadNPY(dir.path, "probe_start.npy"), final = try loadNPY(dir.path, "probe_final.npy")
        #expect(start.count == e.probe.size && final.count == e.probe.size && final.dimension == 8)
        // The spreads the step-0 and final estimators measured are those of these arrays.
        let first = try #require(r.history.first?.estimators)
        #expect(abs(spread(start.features) - first.collapse.meanPairwiseDistance) < 1e-4 * first.collapse.meanPairwiseDistance)
        #expect(abs(spread(final.features) - e.collapse.meanPairwiseDistance) < 1e-4 * e.collapse.meanPairwiseDistance)
        // f*_haus is d_haus's upper bound away from f, pointwise.
        let haus = try loadNPY(dir.path, "f_star_haus.npy")
        var farthest = 0.0
        for i in 0..<final.count {
            var s = 0.0
            for c in 0..<final.dimension { let d = Double(final.features[i, c] - haus.features[i, c]); s += d * d }
            farthest = max(farthest, s.squareRoot())
        }
        #expect(abs(farthest - e.dHaus.upper) < 1e-4 * max(1, e.dHaus.upper))
    }

    @Test func analyzeLeavesTheAnalysedPointsAndFStar() throws {
        let dir = TempFolder()
        guard case .analyzed(let r) = try Runner().run(try trainSpec(#"{"kind":"analyze","dataset":{"type":"toy5"},"iterations":5}"#),
                                                       sink: try FileSink(directory: dir.path)) else { Issue.record("no analysis"); return }
        #expect(r.artifacts == ["probe_rows.npy", "probe_labels.npy", "probe_final.npy", "f_star_iso.npy", "f_star_haus.npy"])
        let f = try loadNPY(dir.path, "probe_final.npy"), iso = try loadNPY(dir.path, "f_star_iso.npy")
        #expect(f.count == 5 && iso.count == 5 && iso.dimension == f.dimension)
    }
}
