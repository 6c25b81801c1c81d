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
    /// Sets above 2000 points are analysed through a seeded class-keeping probe of about this size.
    public var probeSize: Int
    /// Most points a class keeps in a probe (nil: no cap; classes are filled evenly anyway).
    public var probePerClass: Int?
    /// f* descent iterations per start (0: by size).
    public var iterations: Int
    public var seed: UInt64
    /// Scale of the collapse ratios (nil: √2 × the RMS norm).
    public var referenceScale: Double?
    public var blasThreads: Int
    /// The series this analysis is a step of (checkpoints of one training run), its step, and the step
    /// whose spread is the reference (nil: the series' baseline, its first submitted step).
    public var series: String?
    public var step: Int?
    public var baselineStep: Int?

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
        .field("probe_size", .integer(4...20_000), \.probeSize, default: .value(2000),
               "sets of up to 2000 points are analysed whole; larger ones through a seeded probe of about this size that keeps at least 2 points of every class it samples (classes filled evenly; an error if it exceeds the set)"),
        .field("probe_per_class", .integer(2...Int.max), \.probePerClass, default: .absent("none"),
               "most points one class keeps in the probe (also for the 300 points the losses use)"),
        .field("iterations", .integer(0...100_000), \.iterations, default: .value(0),
               "f* descent iterations per start (0: 2000 up to 50 points, 600 up to 300, 250 up to 600, else 80)"),
        .field("seed", .seed, \.seed, default: .value(0), "seeds the probe and the thickness search"),
        .field("reference_scale", .number(.greaterThan(0)), \.referenceScale, default: .absent("none"),
               "the distance the spread is judged against; without it, L2-normalised embeddings are judged against the sphere (√2 × their norm) and other embeddings' spread is not judged (see *Collapse signal and verdict*)"),
        .field("blas_threads", .integer(1...256), \.blasThreads, default: .value(1), ""),
        .field("series", .seriesName, \.series, default: .absent("none"),
               "makes the job a step of this series (1–100 of `A-Z a-z 0-9 _ . -`): checkpoints of one training run, shown together with their trend (`isomine series`)"),
        .field("step", FieldType<Int>.integer(0...Int(Int32.max)).documented("0…2³¹−1"), \.step, default: .required, when: inSeries,
               "the step (epoch or iteration) of this checkpoint; each step is submitted once per series"),
        .field("baseline_step", FieldType<Int>.integer(0...Int(Int32.max)).documented("0…2³¹−1"), \.baselineStep,
               default: .absent("the series' first step"), when: inSeries,
               "names the series' baseline, whose spread is the reference of the relative spread (unless `reference_scale` is given)"),
    ])

    private static let inSeries = FieldCondition<AnalyzeSpec>("only applies to a series step (set series)") { $0.series != nil }
}
