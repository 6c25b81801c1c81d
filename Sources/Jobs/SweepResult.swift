// The result of a sweep: its children's outcomes aggregated per grid cell (collapse rate, final metrics).
import CollapseSignals
import Estimators
import Vocabulary
import Foundation
import Trainer

/// How one child of a sweep ended, as the aggregation sees it (read from files or from job rows).
/// A sweep run's state in the sweep's result: its job's state, or `missing` when its job was deleted
/// (pruned) before the sweep was aggregated.
public enum SweepRunState: String, Sendable, Codable, CaseIterable {
    case queued, running, succeeded, failed, cancelled, dead, missing

    /// The run's job state (every job state is a run state).
    public init(_ state: JobState) { self = SweepRunState(rawValue: state.rawValue) ?? .missing }
}

public struct SweepChildOutcome: Sendable, Equatable {
    /// The child's position in `SweepSpec.children`.
    public var index: Int
    /// Its job id, when it ran through the database.
    public var id: Int?
    public var state: SweepRunState
    /// The child's result document (train result.json) when it succeeded.
    public var result: JSONValue?
    public var error: String?

    public init(index: Int, id: Int? = nil, state: SweepRunState, result: JSONValue? = nil, error: String? = nil) {
        self.index = index
        self.id = id
        self.state = state
        self.result = result
        self.error = error
    }
}

/// Mean, smallest and largest value of one final metric over a cell's successful runs, and the mean's
/// standard error.
public struct MetricSpread: Sendable, Codable, Equatable {
    public var mean: Double
    public var min: Double
    public var max: Double
    /// The standard error of `mean` over the runs: their sample standard deviation / √runs; nil with
    /// fewer than two runs. Why: cells are compared by their means (one miner against another), and at
    /// a few seeds a difference of a few hundredths in P@1 can be seed-to-seed noise; this says how much.
    public var standardError: Double?

    public init(mean: Double, min: Double, max: Double, standardError: Double? = nil) {
        self.mean = mean
        self.min = min
        self.max = max
        self.standardError = standardError
    }

    /// The spread of `values` (at least one). A standard error that overflows (values near 1e154 or
    /// beyond) is left out rather than written as infinity, which JSON cannot hold.
    public init(of values: [Double]) {
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        var standardError: Double?
        if values.count > 1 {
            let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
            let se = (variance / n).squareRoot()
            standardError = se.isFinite ? se : nil
        }
        self.init(mean: mean, min: values.min()!, max: values.max()!, standardError: standardError)
    }

    enum CodingKeys: String, CodingKey {
        case mean, min, max
        case standardError = "standard_error"
    }
}

/// One child in the sweep result.
public struct SweepRun: Sendable, Codable, Equatable {
    public var index: Int
    public var id: Int?
    public var cell: Int
    /// Every axis's value for this run.
    public var params: [String: JSONValue]
    public var state: SweepRunState
    public var verdict: Verdict?
    /// The run's first collapsed step: the first signal record whose probe verdict was collapsed or the
    /// first collapsed evaluation, whichever came first.
    public var firstCollapseStep: Int?
    /// The step the run's collapse warning fired at.
    public var firstWarningStep: Int?
    /// The first evaluation (after step 0, not collapsed) whose probe, read as a series checkpoint,
    /// the checkpoint rule warns on: what a series of this run's evaluations would have been told.
    public var firstCheckpointWarningStep: Int?
    /// Final metrics (see `SweepResult.metricNames`).
    public var final: [String: Double]
    public var error: String?
    /// The run's step-0 collapse risk (with `warning.risk`).
    public var collapseRisk: Double?
    /// The closest its signal probe came to the collapse line (`TrainResult.closestProbeSpread`).
    public var closestProbeSpread: Double?
    /// The step of the warning an `on_warning` action was taken on: `switch_miner` and
    /// `lower_learning_rate` (the result's `on_warning.warned_at`), or `stop` (`stopped_on_warning_at`).
    public var actedOnWarningAt: Int? = nil

    /// Failed or dead. A run never found among the sweep's jobs (`missing`: deleted before the sweep
    /// was aggregated) is counted apart, never as a failure.
    var endedInFailure: Bool { state == .failed || state == .dead }

    enum CodingKeys: String, CodingKey {
        case index, id, cell, params, state, verdict
        case firstCollapseStep = "first_collapse_step"
        case firstWarningStep = "first_warning_step"
        case firstCheckpointWarningStep = "first_checkpoint_warning_step"
        case final, error
        case collapseRisk = "collapse_risk"
        case closestProbeSpread = "closest_probe_spread_over_margin"
        case actedOnWarningAt = "acted_on_warning_at"
    }
}

/// How the collapse warning did over runs: collapsed runs (collapsed at some step after step 0: a
/// signal record's probe verdict or an evaluation, `SweepRun.firstCollapseStep`) warned strictly
/// before that step, the lead (first collapsed step − warning step) of those, in steps and as a
/// fraction of the steps to that collapse, and warnings in healthy runs (ended healthy, never
/// collapsed). A warning at or after the collapse is a miss.
public struct WarningSummary: Sendable, Codable, Equatable {
    public var collapsedRuns: Int
    public var warnedBeforeCollapse: Int
    public var detectionRate: Double?
    public var medianLeadSteps: Double?
    /// Median over the warned collapsed runs of lead / first collapsed step.
    public var medianLeadFraction: Double?
    public var healthyRuns: Int
    public var falseAlarms: Int
    public var falseAlarmRate: Double?
    /// Of the false alarms, those on runs whose signal probe came within twice the collapse line
    /// (`SweepRun.closestProbeSpread` under 0.5 α): near misses. Nil when no run has the figure.
    public var nearMissAlarms: Int?
    /// How well the step-0 collapse risk ranks the runs that collapse at some step above those that
    /// never do: the AUC (1 perfect, 0.5 chance), over runs with a risk; nil without both kinds.
    public var riskAUC: Double?
    /// Runs with a step-0 risk (what the AUC is over; 0 with `warning.risk` off). Nil in results made before it.
    public var riskRuns: Int?
    /// Runs that succeeded neither collapsed at some step nor healthy (ended partial): in neither count
    /// above, and how many of them were warned. Nil when there are none.
    public var neitherRuns: Int?
    public var neitherWarned: Int?
    /// Runs acted on at their warning (`on_warning`) that collapsed at no step, before the action or
    /// after it: what they show is what the action did, not whether the warning was right (whether
    /// they would have collapsed untouched is not observed), so they are in no count above and not in
    /// the risk's AUC. Nil when there are none.
    public var actedOnRuns: Int?

    enum CodingKeys: String, CodingKey {
        case collapsedRuns = "collapsed_runs"
        case warnedBeforeCollapse = "warned_before_collapse"
        case detectionRate = "detection_rate"
        case medianLeadSteps = "median_lead_steps"
        case medianLeadFraction = "median_lead_fraction"
        case healthyRuns = "healthy_runs"
        case falseAlarms = "false_alarms"
        case falseAlarmRate = "false_alarm_rate"
        case nearMissAlarms = "near_miss_false_alarms"
        case riskAUC = "risk_auc"
        case riskRuns = "risk_runs"
        case neitherRuns = "neither_runs"
        case neitherWarned = "neither_warned"
        case actedOnRuns = "acted_on_runs"
    }

    /// Over the runs that succeeded among `runs`, with each run's warning step read by `warningStep`
    /// (the per-step rule's by default; `firstCheckpointWarningStep` for the series rule, whose summary
    /// leaves the risk's AUC to the per-step one: the risk is not the series rule's).
    init(_ runs: [SweepRun], warningStep: KeyPath<SweepRun, Int?> = \.firstWarningStep) {
        let succeeded = runs.filter { $0.state == .succeeded }
        // A run acted on that never collapsed is no false alarm and no quiet healthy run: its outcome
        // without the action is unknown. One that collapsed anyway (or before the step it went back
        // to) did collapse, and is counted as such.
        let unobservable = { (r: SweepRun) in r.actedOnWarningAt != nil && r.firstCollapseStep == nil }
        let unobserved = succeeded.filter(unobservable)
        let ok = succeeded.filter { !unobservable($0) }
        let collapsed = ok.filter { $0.firstCollapseStep != nil }
        let warned = collapsed.compactMap { r -> (lead: Int, collapse: Int)? in
            guard let c = r.firstCollapseStep, let w = r[keyPath: warningStep], w < c else { return nil }
            return (c - w, c)
        }
        // A run that collapsed along the way is a collapsed run even if it ended healthy.
        let healthy = ok.filter { $0.verdict == .healthy && $0.firstCollapseStep == nil }
        collapsedRuns = collapsed.count
        warnedBeforeCollapse = warned.count
        detectionRate = collapsed.isEmpty ? nil : Double(warned.count) / Double(collapsed.count)
        medianLeadSteps = WarningSummary.median(warned.map { Double($0.lead) })
        medianLeadFraction = WarningSummary.median(warned.map { Double($0.lead) / Double($0.collapse) })
        healthyRuns = healthy.count
        let alarmed = healthy.filter { $0[keyPath: warningStep] != nil }
        falseAlarms = alarmed.count
        nearMissAlarms = ok.contains { $0.closestProbeSpread != nil }
            ? alarmed.filter { ($0.closestProbeSpread ?? .infinity) < WarningSummary.nearMiss }.count : nil
        falseAlarmRate = healthy.isEmpty ? nil : Double(falseAlarms) / Double(healthy.count)
        let risked = ok.compactMap { r in r.collapseRisk.map { ($0, r.firstCollapseStep != nil) } }
        riskAUC = warningStep == \.firstWarningStep ? WarningSummary.auc(risked) : nil
        riskRuns = warningStep == \.firstWarningStep ? risked.count : nil
        let neither = ok.filter { $0.firstCollapseStep == nil && $0.verdict != .healthy }
        neitherRuns = neither.isEmpty ? nil : neither.count
        neitherWarned = neither.isEmpty ? nil : neither.filter { $0[keyPath: warningStep] != nil }.count
        actedOnRuns = unobserved.isEmpty ? nil : unobserved.count
    }

    /// The runs acted on without collapsing in words, nil when there are none.
    public var actedOnPhrase: String? {
        actedOnRuns.map { "\($0) acted on at the warning never collapsed, in neither count (whether they would have without the action is not observed)" }
    }

    /// The runs in neither count in words, nil when there are none.
    public var neitherPhrase: String? {
        neitherRuns.map { "\($0) ended partial without collapsing, in neither count (\(neitherWarned ?? 0) of them warned)" }
    }

    /// The step-0 risk's AUC in words, or why there is none (an AUC needs runs that collapsed and runs
    /// that did not); nil for the series rule's summary and results made before `riskRuns`.
    public var riskAUCPhrase: String? {
        if let riskAUC { return String(format: "step-0 collapse risk AUC %.2f", riskAUC) }
        guard let riskRuns else { return nil }
        if riskRuns == 0 { return "step-0 collapse risk not measured (warning.risk off)" }
        return collapsedRuns == 0 ? "step-0 collapse risk AUC undefined: no run collapsed"
                                  : "step-0 collapse risk AUC undefined: every run with a risk collapsed"
    }

    /// A run whose signal probe came under this (spread over α; twice the verdict's collapsed spread)
    /// came near the collapse line.
    public static let nearMiss = 2 * Diagnosis.collapsedSpread

    /// The probability that a positive's score exceeds a negative's (ties count half); nil without both.
    static func auc(_ scored: [(score: Double, positive: Bool)]) -> Double? {
        let pos = scored.filter(\.positive).map(\.score), neg = scored.filter { !$0.positive }.map(\.score)
        guard !pos.isEmpty, !neg.isEmpty else { return nil }
        var wins = 0.0
        for p in pos { for n in neg { wins += p > n ? 1 : p == n ? 0.5 : 0 } }
        return wins / Double(pos.count * neg.count)
    }

    static func median(_ values: [Double]) -> Double? {
        let v = values.sorted()
        guard !v.isEmpty else { return nil }
        return v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2
    }
}

/// One grid cell: its runs over the replicate axis, aggregated.
public struct SweepCell: Sendable, Codable, Equatable {
    public var cell: Int
    /// The value of every cell axis (the replicate axis excluded).
    public var params: [String: JSONValue]
    public var runs: Int
    public var succeeded: Int
    /// Runs that ended failed or dead.
    public var failed: Int
    public var cancelled: Int
    /// Runs whose jobs were gone when the sweep was aggregated (absent when none).
    public var missing: Int?
    public var healthy: Int
    public var partial: Int
    public var collapsed: Int
    /// collapsed / succeeded (nil when nothing succeeded).
    public var collapseRate: Double?
    /// (partial + collapsed) / succeeded.
    public var degradedRate: Double?
    /// Mean, over the runs that were collapsed at some evaluation, of the first such step.
    public var meanFirstCollapseStep: Double?
    /// Runs whose verdict was collapsed at any evaluation (not only at the end) / succeeded.
    public var everCollapsedRate: Double?
    public var metrics: [String: MetricSpread]
    /// The collapse warning over the cell's runs.
    public var warning: WarningSummary?
    /// Runs an `on_warning` action was taken in (absent when none was).
    public var actedOnWarning: Int? = nil

    enum CodingKeys: String, CodingKey {
        case cell, params, runs, succeeded, failed, cancelled, missing, healthy, partial, collapsed
        case collapseRate = "collapse_rate"
        case degradedRate = "degraded_rate"
        case meanFirstCollapseStep = "mean_first_collapse_step"
        case everCollapsedRate = "ever_collapsed_rate"
        case metrics, warning
        case actedOnWarning = "acted_on_warning"
    }
}

/// Totals over the whole sweep.
public struct SweepSummary: Sendable, Codable, Equatable {
    public var runs: Int
    public var succeeded: Int
    public var failed: Int
    public var cancelled: Int
    /// Runs whose jobs were gone when the sweep was aggregated (pruned or deleted by hand): neither
    /// failed nor succeeded; absent when there are none.
    public var missing: Int?
    public var collapsed: Int
    public var collapseRate: Double?

    enum CodingKeys: String, CodingKey {
        case runs, succeeded, failed, cancelled, missing, collapsed
        case collapseRate = "collapse_rate"
    }
}

/// One grid axis in the result.
public struct SweepAxisInfo: Sendable, Codable, Equatable {
    public var path: String
    public var values: [JSONValue]
}

/// result.json of a sweep.
public struct SweepResult: Sendable, Codable, Equatable {
    public var kind = "sweep"
    public var spec: JSONValue
    /// Every axis, in expansion order (the replicate axis last).
    public var axes: [SweepAxisInfo]
    public var replicateAxis: String?
    public var cells: [SweepCell]
    public var runs: [SweepRun]
    public var summary: SweepSummary
    /// The collapse warning over all runs.
    public var warning: WarningSummary?
    /// The series (checkpoint) rule over all runs, read on each run's evaluations as checkpoints.
    public var checkpointWarning: WarningSummary?

    enum CodingKeys: String, CodingKey {
        case kind, spec, axes
        case replicateAxis = "replicate_axis"
        case cells, runs, summary, warning
        case checkpointWarning = "checkpoint_warning"
    }

    /// Final metrics collected per run, with where they sit in a train result.
    public static let metricPaths: [(String, [String])] = [
        ("precision_at_1", ["final", "eval", "precision_at_1"]),
        ("r_precision", ["final", "eval", "r_precision"]),
        ("map_at_r", ["final", "eval", "map_at_r"]),
        ("loss", ["final", "loss"]),
        ("active_fraction", ["final", "active_fraction"]),
        ("relative_spread", ["final", "collapse", "relative_spread"]),
        ("l_hard", ["final", "estimators", "l_hard"]),
        ("d_iso_upper", ["final", "estimators", "d_iso", "upper"]),
        ("d_haus_upper", ["final", "estimators", "d_haus", "upper"]),
    ]

    /// Aggregates `outcomes` (one per child, any order) of `sweep`.
    public init(sweep: SweepSpec, outcomes: [SweepChildOutcome]) {
        spec = sweep.json
        axes = sweep.axes.map { SweepAxisInfo(path: $0.path, values: $0.values) }
        replicateAxis = sweep.replicateAxis
        let byIndex = Dictionary(outcomes.map { ($0.index, $0) }, uniquingKeysWith: { a, _ in a })
        // Whether any run recorded checkpoint signals (only runs with the estimators do): without them
        // the series rule was never applied, and its summary would be a count that could not be non-zero.
        var checkpointSignalsSeen = false
        let runs = sweep.children.map { child in
            let outcome = byIndex[child.index] ?? SweepChildOutcome(index: child.index, state: .missing)
            let params = child.params(sweep.axes)
            var final: [String: Double] = [:]
            var verdict: Verdict?
            var firstCollapse: Int?
            var firstWarning: Int?
            var firstCheckpointWarning: Int?
            var risk: Double?
            var closest: Double?
            var acted: Int?
            if outcome.state == .succeeded, let r = outcome.result {
                if case .number(let v)? = r["collapse_risk"]?["risk"] { risk = v }
                if case .number(let v)? = r["closest_probe_spread_over_margin"] { closest = v }
                if case .number(let s)? = r["warning"]?["step"] { firstWarning = Int(s) }
                if case .number(let s)? = r["on_warning"]?["warned_at"] { acted = Int(s) }
                if case .number(let s)? = r["stopped_on_warning_at"] { acted = Int(s) }
                for (name, path) in SweepResult.metricPaths {
                    if case .number(let d)? = SweepResult.value(r, path) { final[name] = d }
                }
                if case .string(let v)? = r["verdict"] { verdict = Verdict(rawValue: v) }
                if case .array(let history)? = r["history"] {
                    for record in history where record["verdict"] == .string(Verdict.collapsed.rawValue) {
                        if case .number(let s)? = record["step"] { firstCollapse = Int(s) }
                        break
                    }
                    // The probe verdict at every signal record dates the collapse at the signal stride;
                    // an evaluation on the whole split that saw it earlier still counts.
                    if case .number(let s)? = r["first_collapse_step"] { firstCollapse = min(firstCollapse ?? Int(s), Int(s)) }
                    // A run acted on after it had collapsed did collapse: the abandoned steps count.
                    if case .number(let s)? = r["on_warning"]?["abandoned_collapse_step"] { firstCollapse = min(firstCollapse ?? Int(s), Int(s)) }
                    firstCheckpointWarning = history.lazy.compactMap(SweepResult.checkpointWarningStep).first
                    if history.contains(where: { ($0["checkpoint_signals"] ?? .null) != .null }) { checkpointSignalsSeen = true }
                }
            }
            return SweepRun(index: child.index, id: outcome.id, cell: child.cell, params: params, state: outcome.state,
                            verdict: verdict, firstCollapseStep: firstCollapse, firstWarningStep: firstWarning,
                            firstCheckpointWarningStep: firstCheckpointWarning, final: final, error: outcome.error, collapseRisk: risk,
                            closestProbeSpread: closest, actedOnWarningAt: acted)
        }
        self.runs = runs
        let cellAxes = sweep.cellAxes
        cells = (0..<sweep.cellCount).map { cell in
            let members = runs.filter { $0.cell == cell }
            var params: [String: JSONValue] = [:]
            if let first = members.first { for axis in cellAxes { params[axis.path] = first.params[axis.path] } }
            return SweepResult.aggregate(cell: cell, params: params, members)
        }
        let ok = runs.filter { $0.state == .succeeded }
        let collapsed = ok.filter { $0.verdict == .collapsed }.count
        let missing = runs.filter { $0.state == .missing }.count
        summary = SweepSummary(
            runs: runs.count, succeeded: ok.count, failed: runs.filter(\.endedInFailure).count,
            cancelled: runs.filter { $0.state == .cancelled }.count, missing: missing > 0 ? missing : nil, collapsed: collapsed,
            collapseRate: ok.isEmpty ? nil : Double(collapsed) / Double(ok.count))
        warning = WarningSummary(runs)
        checkpointWarning = checkpointSignalsSeen ? WarningSummary(runs, warningStep: \.firstCheckpointWarningStep) : nil
    }

    /// The step of a history record (JSON) on which the checkpoint rule warns — after step 0, on its
    /// `checkpoint_signals`, with the verdict not already collapsed (as for a series step) — or nil.
    /// Only the signals are decoded, not the whole record.
    static func checkpointWarningStep(_ record: JSONValue) -> Int? {
        guard case .number(let step)? = record["step"], step > 0, record["verdict"] != .string(Verdict.collapsed.rawValue),
              let json = record["checkpoint_signals"], json != .null, let data = try? json.serialized(pretty: false),
              let signals = try? JSONDecoder().decode(StepSignals.self, from: data),
              WarningRule.check(checkpoint: signals, reference: "step 0's") != nil else { return nil }
        return Int(step)
    }

    static func aggregate(cell: Int, params: [String: JSONValue], _ members: [SweepRun]) -> SweepCell {
        let ok = members.filter { $0.state == .succeeded }
        let count = { (v: Verdict) in ok.filter { $0.verdict == v }.count }
        let collapsed = count(.collapsed), partial = count(.partial)
        var metrics: [String: MetricSpread] = [:]
        for (name, _) in metricPaths {
            let values = ok.compactMap { $0.final[name] }
            guard !values.isEmpty else { continue }
            metrics[name] = MetricSpread(of: values)
        }
        let steps = ok.compactMap(\.firstCollapseStep)
        // A count that is left out of the cell (nil) when it is 0.
        func countIfAny(_ runs: [SweepRun], _ holds: (SweepRun) -> Bool) -> Int? {
            let n = runs.filter(holds).count
            return n > 0 ? n : nil
        }
        return SweepCell(
            cell: cell, params: params, runs: members.count, succeeded: ok.count,
            failed: members.filter(\.endedInFailure).count,
            cancelled: members.filter { $0.state == .cancelled }.count,
            missing: countIfAny(members) { $0.state == .missing },
            healthy: count(.healthy), partial: partial, collapsed: collapsed,
            collapseRate: ok.isEmpty ? nil : Double(collapsed) / Double(ok.count),
            degradedRate: ok.isEmpty ? nil : Double(collapsed + partial) / Double(ok.count),
            meanFirstCollapseStep: steps.isEmpty ? nil : Double(steps.reduce(0, +)) / Double(steps.count),
            everCollapsedRate: ok.isEmpty ? nil : Double(steps.count) / Double(ok.count),
            metrics: metrics, warning: WarningSummary(members),
            actedOnWarning: countIfAny(ok) { $0.actedOnWarningAt != nil })
    }

    static func value(_ v: JSONValue, _ path: [String]) -> JSONValue? {
        var current: JSONValue? = v
        for key in path { current = current?[key] }
        return current
    }
}
