// The `analyze` job spec: labelled embeddings in, the estimator block, triplet losses and retrieval out.
import Datasets

/// A validated analyze job.
public struct AnalyzeSpec: Sendable, Equatable {
    public var name: String?
    /// The queue the job goes to (nil: "default").
    public var queue: String?
    /// The labelled embeddings (any dataset source; files come from the data root).
    public var dataset: DatasetSource
    /// The margin α the embedding was trained with: the verdict judges distances against it, and the
    /// reported triplet losses use it.
    public var margin: Double
    /// L2-normalise each embedding before judging it, as the loss's distance does (pytorch-metric-learning's
    /// default `LpDistance()`, `CosineSimilarity()`): the margin is then on the unit sphere's scale.
    public var normalize = false
    /// Sets above 2000 points are analysed through a seeded class-keeping probe of about this size.
    public var probeSize: Int
    /// Most points a class keeps in a probe (nil: no cap; classes are filled evenly anyway).
    public var probePerClass: Int?
    /// f* descent iterations per start (0: by size).
    public var iterations: Int
    public var seed: UInt64
    /// Scale of the collapse ratios (nil: √2 × the RMS norm).
    public var referenceScale: Double?
    /// Threads this job computes with (nil: the job's share of the machine; see `threads(share:)`).
    public var threads: Int?
    /// The older name of `threads` (nil unless a spec gave it).
    public var blasThreads: Int?

    /// The threads to compute with: `threads`, else `blas_threads`, else `share` (the job's share of the machine).
    public func threads(share: Int) -> Int { threads ?? blasThreads ?? max(1, share) }
    /// The series this analysis is a step of (checkpoints of one training run), its step, and the step
    /// whose spread is the reference (nil: the series' baseline, its first submitted step).
    public var series: String?
    public var step: Int?
    public var baselineStep: Int?
    /// Whether the embeddings are an untrained network's, judged as a train run's step 0 (a series'
    /// baseline step is judged so whatever this says).
    public var untrained = false

    /// An analysis of `dataset` judged against `margin`, every other field at its default.
    public init(dataset: DatasetSource, margin: Double = 0.2, probeSize: Int = 2000, iterations: Int = 0, seed: UInt64 = 0,
                referenceScale: Double? = nil, threads: Int? = nil) {
        self.dataset = dataset
        self.margin = margin
        self.probeSize = probeSize
        self.iterations = iterations
        self.seed = seed
        self.referenceScale = referenceScale
        self.threads = threads
    }

    static func parse(_ r: SpecReader) throws -> AnalyzeSpec {
        var spec = AnalyzeSpec(dataset: .digits, margin: 0.2, probeSize: 2000, iterations: 0, seed: 0, referenceScale: nil)
        try schema.decode(r, into: &spec)
        return spec
    }

    /// The spec with every default filled in.
    public var json: JSONValue { .object(AnalyzeSpec.schema.encode(self)) }

    /// The analyze spec's fields, declared once (the spec reference's order).
    public static let schema = SpecSchema<AnalyzeSpec>([
        .kind("analyze", type: "`\"analyze\"`", ""),
        .field("name", .jobName, \.name, default: .absent("none"), "at most 200 characters, one line"),
        .field("queue", .queueName, \.queue, default: .absent("`default`"), "as for train jobs"),
        .field("dataset", .dataset, \.dataset, default: .required, "as for train jobs"),
        .field("margin", .number(.greaterThan(0)), \.margin, default: .value(0.2),
               "the margin α you trained with (e.g. 0.2 for isomine's and FaceNet's default, 0.05 for PML's `TripletMarginLoss` default); the verdict judges distances against it (see *Collapse signal and verdict*), and the reported batch-hard, batch-all and semi-hard hinge losses use it; a series step without it takes its series' margin (one per series: another is refused)"),
        .field("normalize", .bool, \.normalize, default: .value(false),
               "L2-normalise each embedding before judging it, as your loss's distance does: pytorch-metric-learning's default `LpDistance()` and `CosineSimilarity()` normalise inside the loss, so pass the model's raw outputs with `true` (or normalise them yourself); the margin is then on the unit sphere's scale. A series is judged one way: a step without it takes its series' (its monitor's, or its first step's), another is refused"),
        .field("probe_size", .integer(4...20_000), \.probeSize, default: .value(2000),
               "sets of up to 2000 points are analysed whole (but for the points of classes of one, which anchor no triplet); larger ones through a seeded probe of about this size that keeps at least 2 points of every class it samples (classes filled evenly; an error if it exceeds the set)"),
        .field("probe_per_class", .integer(2...Int.max), \.probePerClass, default: .absent("none"),
               "most points one class keeps in the probe (also for the 300 points the losses use)"),
        .field("iterations", .integer(0...100_000), \.iterations, default: .value(0),
               "f* descent iterations per start (0: 2000 up to 50 points, 600 up to 300, 250 up to 600, 80 up to 1,000, else 40)"),
        .field("seed", .seed, \.seed, default: .value(0), "seeds the probe and the thickness search"),
        .field("reference_scale", .number(.greaterThan(0)), \.referenceScale, default: .absent("none"),
               "a distance the spread is also compared with, as context (the verdict judges it against `margin`); without it, a series step is compared with its baseline step and L2-normalised embeddings with the sphere (√2 × their norm)"),
        .field("threads", .integer(ThreadsField.range), \.threads, default: .absent("the job's share"), ThreadsField.threadsDoc),
        .field("blas_threads", .integer(ThreadsField.range), \.blasThreads, default: .absent("none"), ThreadsField.blasThreadsDoc),
        .field("series", .seriesName, \.series, default: .absent("none"),
               "makes the job a step of this series (1–100 of `A-Z a-z 0-9 _ . -`): checkpoints of one training run, shown together with their trend (`isomine series`)"),
        .field("step", FieldType<Int>.integer(0...Int(Int32.max)).documented("0…2³¹−1"), \.step, default: .required, when: inSeries,
               "the step (epoch or iteration) of this checkpoint; each step is submitted once per series"),
        .field("baseline_step", FieldType<Int>.integer(0...Int(Int32.max)).documented("0…2³¹−1"), \.baselineStep,
               default: .absent("the series' first step"), when: inSeries,
               "names the series' baseline, whose spread is the context reference of the relative spread (unless `reference_scale` is given); the baseline step is judged as an untrained network"),
        .field("untrained", .bool, \.untrained, default: .value(false),
               "the embeddings are an untrained network's (a baseline before training): judged as a train run's step 0, where retrieval at chance is `partial` (`untrained_at_chance`), never collapsed"),
    ], checks: [
        { spec, at in try ThreadsField.check(threads: spec.threads, blasThreads: spec.blasThreads, at: at) },
    ])

    private static let inSeries = FieldCondition<AnalyzeSpec>("only applies to a series step (set series)") { $0.series != nil }
}
