// `isomine bench analyze`: an analysis at retrieval-benchmark scale, phase by phase, with peak memory.
import ArgumentParser
import Console
import Datasets
import Dispatch
import Foundation
import Jobs
import Linalg
import Logging

struct AnalyzeBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Times an analysis of generated unit-norm embeddings (or given NPY files) phase by phase and prints peak memory, as JSON.",
        discussion: """
        Generates ROWS unit-norm float32 embeddings of dimension DIM in classes of PER_CLASS points as \
        ../shared/bench/pml_eval_peer.py --generate does (class centres ~ N(0, I), points = centre + 2·N(0, I), \
        normalised; isomine's own random numbers, so not the same values), writes them as NPY files to a \
        temporary data root and runs the analyze job on them: load, retrieval metrics (P@1, R-Precision, \
        MAP@R from exact k nearest neighbours), losses and estimators on the default probe. With --npy and \
        --labels it analyses those files instead (e.g. the peer's, to compare the metrics). Prints seconds \
        per phase (phases_seconds), the estimators phase part by part (estimator_parts: exact distances, \
        separation, subset bounds, each f* start, polishing, certification, thickness, …), the total, \
        the metrics and the process's peak resident memory.
        """)

    @Option(help: "Rows to generate.")
    var rows = 60_000

    @Option(help: "Dimension.")
    var dim = 512

    @Option(help: "Points per class.")
    var perClass = 5

    @Option(help: "Embeddings to analyse instead of generated ones (NPY, float32/float64, (N, D)).")
    var npy: String?

    @Option(help: "Their labels (NPY, integers, (N,)).")
    var labels: String?

    @Option(help: "The analyze spec's probe_size.")
    var probeSize = 2000

    @Option(help: "Threads (the analyze spec's threads).")
    var threads = 1

    @Option(help: "Seed of the generated embeddings.")
    var seed = 0

    @Option(help: "Also write the points the estimators analysed (probe.npy, float64) and their labels (probe_labels.npy) into this directory: `bench analyze --npy DIR/probe.npy --labels DIR/probe_labels.npy` then times the estimators on exactly that probe.")
    var probeOut: String?

    func validate() throws {
        guard rows >= 4, dim >= 1, perClass >= 2, rows / perClass >= 2 else {
            throw ValidationError("--rows must give at least 2 classes of --per-class ≥ 2 points, and --dim at least 1")
        }
        guard (npy == nil) == (labels == nil) else { throw ValidationError("give both --npy and --labels, or neither") }
    }

    func run() throws {
        try CLIError.reporting {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("isomine-bench-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            var generated = 0.0
            var root = dir, features = "x.npy", labelFile = "y.npy"
            if let npy, let labels {
                // The files' directory is the data root (both must be in it).
                let x = URL(fileURLWithPath: npy).standardizedFileURL, y = URL(fileURLWithPath: labels).standardizedFileURL
                guard x.deletingLastPathComponent() == y.deletingLastPathComponent() else {
                    throw ValidationError("--npy and --labels must be in the same directory (it becomes the data root)")
                }
                root = x.deletingLastPathComponent().path
                features = x.lastPathComponent
                labelFile = y.lastPathComponent
            } else {
                let t = DispatchTime.now().uptimeNanoseconds
                try AnalyzeBench.generate(rows: rows, dim: dim, perClass: perClass, seed: UInt64(seed), into: dir)
                generated = Double(DispatchTime.now().uptimeNanoseconds - t) * 1e-9
            }
            let dataset: JSONValue = .object(["type": .string("npy"), "features": .string(features), "labels": .string(labelFile)])
            let spec = try JobSpec.parse(.object(["kind": .string("analyze"), "dataset": dataset, "probe_size": .number(Double(probeSize)),
                                                  "threads": .number(Double(threads))]))
            var quiet = Logger(label: "bench")
            quiet.logLevel = .error
            let started = DispatchTime.now().uptimeNanoseconds
            let sink = MemorySink()
            let outcome = try Runner(dataRoot: DataRoot(path: root), logger: quiet).run(spec, sink: sink)
            let total = Double(DispatchTime.now().uptimeNanoseconds - started) * 1e-9
            guard case .analyzed(let r) = outcome else { throw RunError("the analysis did not complete") }
            if let probeOut {
                try FileManager.default.createDirectory(atPath: probeOut, withIntermediateDirectories: true)
                for (artifact, file) in [("probe_final.npy", "probe.npy"), ("probe_labels.npy", "probe_labels.npy")] {
                    guard let bytes = sink.artifacts[artifact] else { throw RunError("the analysis saved no \(artifact)") }
                    try Data(bytes).write(to: URL(fileURLWithPath: probeOut).appendingPathComponent(file))
                }
            }
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            // Phases as one object (`estimators` is the whole phase; its parts follow under `estimator_parts`).
            func key(_ name: String) -> String { name.replacingOccurrences(of: " ", with: "_") }
            func rounded(_ s: Double) -> JSONValue { .number((s * 1000).rounded() / 1000) }
            var phaseJSON: [String: JSONValue] = [:], partJSON: [JSONValue] = []
            for part in r.timing.parts {
                if part.name.hasPrefix("estimators/") {
                    partJSON.append(.object(["part": .string(String(part.name.dropFirst("estimators/".count))), "seconds": rounded(part.seconds)]))
                } else {
                    phaseJSON[key(part.name)] = rounded(part.seconds)
                }
            }
            let out: JSONValue = .object([
                "benchmark": .string("analyze"),
                "rows": .number(Double(r.dataset.rows)), "dim": .number(Double(r.dataset.dim)), "classes": .number(Double(r.dataset.classes)),
                "source": .string(npy == nil ? "generated (\(perClass) per class, seed \(seed), \((generated * 100).rounded() / 100) s)" : "files"),
                "threads": .number(Double(threads)),
                "phases_seconds": .object(phaseJSON),
                "estimator_parts": .array(partJSON),
                "total_seconds": .number((total * 1000).rounded() / 1000),
                "peak_rss_mib": .number(Double(usage.ru_maxrss / 1024)),
                "precision_at_1": .number(r.final.eval.precisionAt1), "r_precision": .number(r.final.eval.rPrecision),
                "map_at_r": .number(r.final.eval.mapAtR),
                "probe_points": .number(Double(r.final.estimators.probe.size)), "verdict": .string(r.verdict.rawValue),
                "d_iso": try JSONValue.from(r.final.estimators.dIso), "d_haus": try JSONValue.from(r.final.estimators.dHaus),
            ])
            print(String(decoding: try out.serialized(), as: UTF8.self))
        }
    }

    /// Writes x.npy (float32, unit rows) and y.npy (int64) like the peer's generator, row block by row block.
    static func generate(rows: Int, dim: Int, perClass: Int, seed: UInt64, into dir: String) throws {
        let classes = rows / perClass, n = classes * perClass
        var rng = SeededRNG(seed: seed, stream: 0xBE7C4)
        var centres = [Float](repeating: 0, count: classes * dim)
        for i in 0..<centres.count { centres[i] = Float(rng.normal()) }
        _ = FileManager.default.createFile(atPath: dir + "/x.npy", contents: Data(NPYWriter.header(descr: "<f4", shape: [n, dim])))
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/x.npy"))
        try out.seekToEnd()
        var row = [Float](repeating: 0, count: dim)
        var chunk = Data()
        for i in 0..<n {
            let c = i / perClass
            var s: Float = 0
            for d in 0..<dim { let v = centres[c * dim + d] + 2 * Float(rng.normal()); row[d] = v; s += v * v }
            let inv = 1 / s.squareRoot()
            for d in 0..<dim { row[d] *= inv }
            row.withUnsafeBytes { chunk.append(contentsOf: $0) }
            if chunk.count >= 1 << 22 { try out.write(contentsOf: chunk); chunk.removeAll(keepingCapacity: true) }
        }
        try out.write(contentsOf: chunk)
        try out.close()
        var labels = Data(NPYWriter.header(descr: "<i8", shape: [n]))
        for i in 0..<n { withUnsafeBytes(of: Int64(i / perClass).littleEndian) { labels.append(contentsOf: $0) } }
        _ = FileManager.default.createFile(atPath: dir + "/y.npy", contents: labels)
    }
}
