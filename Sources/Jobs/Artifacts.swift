// The files a finished job leaves besides its result: probe embeddings and f*, as NumPy arrays.
import Datasets
import Estimators
import Trainer

/// Named binary outputs of a job (`DIR/artifacts/NAME` locally, `isomine.artifacts` rows in the database).
public enum Artifacts {
    /// A train run's probe: its rows and labels, f at step 0 and at the end, and the final f*_iso and f*_haus.
    public static func of(_ probe: ProbeSnapshot) -> [(name: String, bytes: [UInt8])] {
        var out: [(String, [UInt8])] = [
            ("probe_rows.npy", NPYWriter.encode(labels: probe.rows)),
            ("probe_labels.npy", NPYWriter.encode(labels: probe.labels)),
            ("probe_start.npy", NPYWriter.encode(probe.start)),
            ("probe_final.npy", NPYWriter.encode(probe.final)),
        ]
        if let f = probe.fStar {
            out.append(("f_star_iso.npy", NPYWriter.encode(f.isometric)))
            out.append(("f_star_haus.npy", NPYWriter.encode(f.hausdorff)))
        }
        return out
    }

    /// An analysis: the analysed rows and labels, f on them, and f*_iso and f*_haus.
    public static func of(_ points: FStarPoints) -> [(name: String, bytes: [UInt8])] {
        [
            ("probe_rows.npy", NPYWriter.encode(labels: points.rows)),
            ("probe_labels.npy", NPYWriter.encode(labels: points.labels)),
            ("probe_final.npy", NPYWriter.encode(points.f)),
            ("f_star_iso.npy", NPYWriter.encode(points.isometric)),
            ("f_star_haus.npy", NPYWriter.encode(points.hausdorff)),
        ]
    }

    /// Saves every artifact to `sink`; returns their names (listed in the result).
    static func save(_ artifacts: [(name: String, bytes: [UInt8])], to sink: ResultSink) throws -> [String] {
        for a in artifacts { try sink.saveArtifact(a.name, a.bytes) }
        return artifacts.map(\.name)
    }
}
