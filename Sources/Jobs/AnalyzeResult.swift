// The result document of an analyze job: the `final` shape of a train result, without history.
import CollapseSignals
import Retrieval
import Estimators
import Trainer

/// Triplet losses of the given embeddings (as one batch) under three miners.
public struct LossSummary: Sendable, Codable, Equatable {
    public var margin: Double
    /// Points the losses were computed on (a stratified probe of at most 300 points, `Runner.maxLossPoints`).
    public var points: Int
    public var batchHard: Double
    public var batchAll: Double
    public var semiHard: Double

    enum CodingKeys: String, CodingKey {
        case margin, points
        case batchHard = "batch_hard"
        case batchAll = "batch_all"
        case semiHard = "semi_hard"
    }
}

/// The `final` block of an analyze result.
public struct AnalysisRecord: Sendable, Codable, Equatable {
    public var eval: RetrievalMetrics
    public var losses: LossSummary
    public var estimators: EstimatorReport
    /// The verdict with its reasons: the estimators' inputs with P@1 of the whole set.
    public var diagnosis: Diagnosis
    public var verdict: Verdict
}

/// result.json of an analyze job.
public struct AnalyzeResult: Sendable, Codable, Equatable {
    public var kind = "analyze"
    public var spec: JSONValue
    public var dataset: DatasetSummary
    public var final: AnalysisRecord
    public var timing: AnalyzeTiming
    public var verdict: Verdict
    /// Names of the artifacts saved with the result (NumPy arrays: the analysed points, f*).
    public var artifacts: [String]?
    /// For a series step: the series, this step and the baseline step its spread was judged against.
    public var series: SeriesStepInfo?
    /// The collapse-warning signals of this embedding (when its spread has a reference) and the warning
    /// they give (absent when the rule does not fire or the verdict is already collapsed).
    public var signals: StepSignals?
    public var warning: CollapseWarning?
}

/// Where an analysis sits in its series.
public struct SeriesStepInfo: Sendable, Codable, Equatable {
    public var name: String
    public var step: Int
    /// The step whose probe spread was the reference (nil when `reference_scale` was given instead).
    public var baselineStep: Int?
    /// That step's mean pairwise distance on the probe.
    public var baselineSpread: Double?
    /// That step's κ (leave-one-out 1-NN on the same probe, above chance on a 0–1 scale): whether the
    /// baseline was at chance, for "still at chance" (nil when `reference_scale` was given instead).
    public var baselineKappa: Double?
    /// How many probe points that κ was measured on (its sampling noise); not written to result.json.
    public var baselineKappaRows: Int?

    enum CodingKeys: String, CodingKey {
        case name, step
        case baselineStep = "baseline_step"
        case baselineSpread = "baseline_spread"
        case baselineKappa = "baseline_kappa"
    }
}

/// Wall-clock time of an analysis (the only non-deterministic part), in all and part by part.
public struct AnalyzeTiming: Sendable, Codable, Equatable {
    /// One part of the analysis and its seconds.
    public struct Part: Sendable, Codable, Equatable {
        /// `load`, `retrieval metrics`, `losses`, `estimators`, and the estimators' own parts as
        /// `estimators/…` (exact distances, separation, subset bounds, each f* start, polishing, thickness, …).
        public var name: String
        public var seconds: Double
    }

    public var totalSeconds: Double
    /// The parts in the order they ended (absent in results stored before they were recorded).
    public var parts: [Part]

    public init(totalSeconds: Double, parts: [Part] = []) {
        self.totalSeconds = totalSeconds
        self.parts = parts
    }

    enum CodingKeys: String, CodingKey {
        case totalSeconds = "total_seconds"
        case parts
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        totalSeconds = try c.decode(Double.self, forKey: .totalSeconds)
        parts = try c.decodeIfPresent([Part].self, forKey: .parts) ?? []
    }
}

/// What a job produced.
public enum JobResult: Sendable, Equatable {
    case train(TrainResult)
    case analyze(AnalyzeResult)
    case sweep(SweepResult)

    /// The result document.
    public func json() throws -> JSONValue {
        switch self {
        case .train(let r): return try JSONValue.from(r)
        case .analyze(let r): return try JSONValue.from(r)
        case .sweep(let r): return try JSONValue.from(r)
        }
    }
}
