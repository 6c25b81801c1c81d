// The `analyze` job spec: labelled embeddings in, the estimator block, triplet losses and retrieval out.
import Datasets

/// A validated analyze job.
public struct AnalyzeSpec: Sendable, Equatable {
    public var name: String?
    /// The queue the job goes to (nil: "default").
    public var queue: String?
    /// The labelled embeddings (any dataset source; files come from the data root).
    public var dataset: DatasetSource
    /// Margin α of the reported triplet losses.
    public var margin: Double
    /// Sets above 2000 points are analysed through a seeded stratified probe of this size.
    public var probeSize: Int
    /// f* descent iterations per start (0: by size).
    public var iterations: Int
    public var seed: UInt64
    /// Scale of the collapse ratios (nil: √2 × the RMS norm).
    public var referenceScale: Double?
    public var blasThreads: Int

    static func parse(_ r: SpecReader) throws -> AnalyzeSpec {
        let queue = try r.jobQueue()
        var spec = AnalyzeSpec(
            name: try r.jobName(),
            dataset: try DatasetSpec.parse(try r.object("dataset")),
            margin: try r.number("margin", default: 0.2, in: 0...1e6, rangeText: "must be a non-negative number"),
            probeSize: try r.int("probe_size", default: 2000, in: 3...20_000),
            iterations: try r.int("iterations", default: 0, in: 0...100_000),
            seed: UInt64(try r.int("seed", default: 0, in: 0...(1 << 53))),
            referenceScale: r.has("reference_scale") ? try r.number("reference_scale", in: 1e-300...1e300, rangeText: "must be a positive number") : nil,
            blasThreads: try r.int("blas_threads", default: 1, in: 1...256))
        if !r.has("reference_scale") { _ = r.raw("reference_scale") }
        try r.rejectUnknownKeys()
        spec.queue = queue
        return spec
    }

    /// The spec with every default filled in.
    public var json: JSONValue {
        var out: [String: JSONValue] = [
            "kind": .string("analyze"), "dataset": DatasetSpec.json(dataset), "margin": .number(margin),
            "probe_size": .number(Double(probeSize)), "iterations": .number(Double(iterations)),
            "seed": .number(Double(seed)), "blas_threads": .number(Double(blasThreads)),
        ]
        if let name { out["name"] = .string(name) }
        if let queue { out["queue"] = .string(queue) }
        if let referenceScale { out["reference_scale"] = .number(referenceScale) }
        return .object(out)
    }
}
