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
        var spec = AnalyzeSpec(dataset: .digits, margin: 0.2, probeSize: 2000, iterations: 0, seed: 0, referenceScale: nil, blasThreads: 1)
        try schema.decode(r, into: &spec)
        return spec
    }

    /// The spec with every default filled in.
    public var json: JSONValue { .object(AnalyzeSpec.schema.encode(self)) }

    /// The analyze spec's fields, declared once (README order).
    public static let schema = SpecSchema<AnalyzeSpec>([
        .kind("analyze", type: "`\"analyze\"`", ""),
        .field("name", .jobName, \.name, default: .absent("none"), "at most 200 characters, one line"),
        .field("queue", .queueName, \.queue, default: .absent("`default`"), "as for train jobs"),
        .field("dataset", .dataset, \.dataset, default: .required, "as for train jobs"),
        .field("margin", .number(.atLeast(0)), \.margin, default: .value(0.2),
               "α of the reported batch-hard, batch-all and semi-hard hinge losses"),
        .field("probe_size", .integer(3...20_000), \.probeSize, default: .value(2000),
               "sets of up to 2000 points are analysed whole; larger ones through a seeded stratified probe of this size (an error if it exceeds the set)"),
        .field("iterations", .integer(0...100_000), \.iterations, default: .value(0),
               "f* descent iterations per start (0: 2000 up to 50 points, 600 up to 300, 250 up to 600, else 80)"),
        .field("seed", .seed, \.seed, default: .value(0), "seeds the probe and the thickness search"),
        .field("reference_scale", .number(.greaterThan(0)), \.referenceScale, default: .absent("none"),
               "the distance the spread is judged against; without it, L2-normalised embeddings are judged against the sphere (√2 × their norm) and other embeddings' spread is not judged (see *Collapse signal and verdict*)"),
        .field("blas_threads", .integer(1...256), \.blasThreads, default: .value(1), ""),
    ])
}
