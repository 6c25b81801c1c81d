// The result document of a train job (result.json), as DESIGN §3 specifies it.
import CollapseRisk
import CollapseSignals
import Trainer

/// Sizes of the data a job ran on.
public struct DatasetSummary: Sendable, Codable, Equatable {
    public var name: String
    public var rows: Int
    public var dim: Int
    public var classes: Int
    public var trainRows: Int
    public var testRows: Int
    public var trainClasses: Int
    public var testClasses: Int

    enum CodingKeys: String, CodingKey {
        case name, rows, dim, classes
        case trainRows = "train_rows"
        case testRows = "test_rows"
        case trainClasses = "train_classes"
        case testClasses = "test_classes"
    }
}

/// Wall-clock figures of a run. Not deterministic: everything else in the result is.
public struct RunTiming: Sendable, Codable, Equatable {
    /// Seconds spent in training steps in this process (evaluation excluded).
    public var trainSeconds: Double
    /// Training steps in this process over `trainSeconds`.
    public var stepsPerSecond: Double
    /// Seconds spent evaluating in this process.
    public var evalSeconds: Double
    /// Seconds from start to finish in this process, data loading included.
    public var totalSeconds: Double
    /// Training steps run by this process (fewer than the spec's steps after a resume).
    public var stepsThisProcess: Int

    enum CodingKeys: String, CodingKey {
        case trainSeconds = "train_seconds"
        case stepsPerSecond = "steps_per_second"
        case evalSeconds = "eval_seconds"
        case totalSeconds = "total_seconds"
        case stepsThisProcess = "steps_this_process"
    }
}

/// result.json of a train job.
public struct TrainResult: Sendable, Codable, Equatable {
    public var kind = "train"
    /// The normalised spec (every default filled in).
    public var spec: JSONValue
    public var dataset: DatasetSummary
    /// One record per evaluation, step 0 first.
    public var history: [EvaluationRecord]
    /// The last evaluation.
    public var final: EvaluationRecord
    public var timing: RunTiming
    /// The final verdict (the rule is in docs/science.md).
    public var verdict: Verdict
    /// The checkpoint step this process resumed from, if it resumed.
    public var resumedFromStep: Int?
    /// Names of the artifacts saved with the result (NumPy arrays: probe embeddings, f*).
    public var artifacts: [String]?
    /// The step at which a `stop_on_collapse` run ended because its verdict turned collapsed.
    public var stoppedOnCollapseAt: Int?
    /// The run's collapse warning (step, reasons, signals), when the signals warned.
    public var warning: CollapseWarning?
    /// The step at which a `stop_on_warning` run ended because of its warning.
    public var stoppedOnWarningAt: Int?
    /// What an `on_warning` action (`switch_miner`, `lower_learning_rate`) did, when it was taken.
    public var onWarning: WarningIntervention?
    /// The first signal record after step 0 whose probe verdict is collapsed (`StepSignals.probe`): the
    /// run's collapse dated at the signal stride, whatever `eval_every` is. Nil without signals or
    /// when no record was collapsed.
    public var firstCollapseStep: Int?
    /// The step-0 collapse risk (with `warning.risk`): the risk, its threshold, the features and why.
    public var collapseRisk: CollapseRiskEstimate?
    /// The closest the run came to the collapse line: the smallest mean pairwise distance of the fixed
    /// signal probe, over α, at a signal record after step 0 (the collapse is under 0.25). It tells a
    /// false alarm that was a near miss (the sweeps' false alarms so far all came within 0.64) from
    /// one on a run that stayed far from collapse. Nil without signals after step 0.
    public var closestProbeSpread: Double? = nil

    enum CodingKeys: String, CodingKey {
        case kind, spec, dataset, history, final, timing, verdict
        case resumedFromStep = "resumed_from_step"
        case artifacts
        case stoppedOnCollapseAt = "stopped_on_collapse_at"
        case warning
        case stoppedOnWarningAt = "stopped_on_warning_at"
        case onWarning = "on_warning"
        case firstCollapseStep = "first_collapse_step"
        case collapseRisk = "collapse_risk"
        case closestProbeSpread = "closest_probe_spread_over_margin"
    }
}
