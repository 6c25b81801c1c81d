// The early warning of collapse: a rule over the per-step signals that fires before an evaluation
// can say "collapsed". Thresholds calibrated on digits and blobs sweeps (seeds 0–1), measured on
// held-out sweeps (see docs/science.md's warning section).
import Estimators
import Foundation

/// One reason of a warning: a stable code and one sentence with the numbers.
public struct WarningReason: Sendable, Codable, Equatable {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}

/// A collapse warning: the step it fired at, why, and the signals there.
public struct CollapseWarning: Sendable, Codable, Equatable {
    public var step: Int
    public var reasons: [WarningReason]
    public var signals: StepSignals

    public init(step: Int, reasons: [WarningReason], signals: StepSignals) {
        self.step = step
        self.reasons = reasons
        self.signals = signals
    }
}

/// When the signals warn: for `consecutive` records in a row (after step 0), the batch's spread is
/// under `spreadBelow` of step 0's, the mean d⁻ − d⁺ is under `gapBelow` times the batch's spread
/// (negatives closer than positives, relative to the scale the batch has left), and at least
/// `activeAtLeast` of the mined triplets violate the margin. Healthy runs whose spread drops fast
/// early stop shrinking above the threshold or keep a gap near zero that turns positive; collapsing
/// ones go on shrinking with negatives well inside the positives. The spread threshold sits above the
/// verdict's 0.05 so that the warning comes while the run is still on its way down.
///
/// A training run's records (not a checkpoint's) also warn when the batch's distances have collapsed
/// against the margin: the batch's mean pairwise distance under the verdict's own `Diagnosis.collapsedSpread`
/// (0.25 α) with `activeAtLeast` of the triplets active. That clause detects a collapse in the batch
/// as it happens, it does not predict it; it is there for the collapses the first clause cannot see
/// (distances shrinking with the ranking kept, so d⁻ − d⁺ stays near zero relative to the spread) and
/// for a user's loop whose own evaluations are epochs apart.
///
/// A third clause on a training run's records projects those distances forward: with `activeAtLeast` of
/// the triplets active, the batch's mean pairwise distance is still at or above 0.25 α but has fallen
/// over the last `trendRecords` records, and at that log-rate it would be under 0.25 α within
/// `trendHorizon` steps. It warns the runs whose distances are heading under the line a record or two
/// before the batch-distance clause would (deploy/experiments/collapse-risk/trend_clause.py chose the
/// two settings on the calibration sweeps and measured them on the others).
public enum WarningRule {
    public static let spreadBelow = 0.08
    public static let gapBelow = -0.8
    public static let activeAtLeast = 0.9
    public static let consecutive = 1
    /// The batch-distance clause's threshold, in units of the margin α: the verdict's collapsed spread.
    public static let batchDistanceBelow = Diagnosis.collapsedSpread
    /// The trend clause: the rate is taken over this many records back, and projected this many steps ahead.
    public static let trendRecords = 4, trendHorizon = 2.0

    /// The warning the latest records of a training run give, or nil (step 0, the reference, never
    /// counts). `margin` is α in the batch's distance units (√α for a loss on squared distances); 0 or
    /// less leaves the batch-distance clause out.
    public static func check(_ signals: [StepSignals], margin: Double) -> CollapseWarning? {
        // Only the latest records matter (earlier ones were checked when they came): no pass over the run.
        let recent = signals.suffix(consecutive)
        guard recent.count == consecutive, recent.allSatisfy({ $0.step > 0 }), let last = recent.last else { return nil }
        if recent.allSatisfy(fires) {
            return warning(last, spread: "batch's mean pairwise distance", reference: "step 0's",
                           recordsInARow: consecutive > 1 ? " for \(consecutive) records in a row" : "")
        }
        if recent.allSatisfy({ distancesCollapsed($0, margin: margin) }) {
            return CollapseWarning(step: last.step, reasons: [
                WarningReason(code: "batch_distances_collapsed",
                              message: "The batch's mean pairwise distance is \(format(last.batchSpread / margin)) α (α = \(format(margin))), under the verdict's \(format(batchDistanceBelow)) α: the training batch's distances have collapsed against the margin. This detects the collapse as it happens in the batch; it does not predict it."),
                marginReason(last),
            ], signals: last)
        }
        guard let rate = distancesHeadingUnder(signals, margin: margin) else { return nil }
        return CollapseWarning(step: last.step, reasons: [
            WarningReason(code: "batch_distances_heading_under",
                          message: "The batch's mean pairwise distance is \(format(last.batchSpread / margin)) α (α = \(format(margin))) and has been falling by \(format(100 * (1 - exp(rate))))% a step over the last \(trendRecords) records: at that rate it is under the verdict's \(format(batchDistanceBelow)) α within \(format(trendHorizon)) steps."),
            marginReason(last),
        ], signals: last)
    }

    /// The trend clause on the latest record of `signals` (the run's records in order, step 0's first):
    /// the per-step log-rate of the batch's spread when it fires, else nil. The record `trendRecords`
    /// back must come after step 0's (the untrained batch is not on the trajectory the rate describes).
    static func distancesHeadingUnder(_ signals: [StepSignals], margin: Double) -> Double? {
        let last = signals.count - 1, back = last - trendRecords
        guard margin > 0, back >= 0, signals[back].step > 0 else { return nil }
        let now = signals[last], then = signals[back]
        let line = batchDistanceBelow * margin
        guard now.activeFraction >= activeAtLeast, now.batchSpread >= line, now.batchSpread > 0,
              now.batchSpread < then.batchSpread, now.step > then.step else { return nil }
        let rate = log(now.batchSpread / then.batchSpread) / Double(now.step - then.step)
        return now.batchSpread * exp(rate * trendHorizon) < line ? rate : nil
    }

    /// The batch-distance clause on one record.
    static func distancesCollapsed(_ s: StepSignals, margin: Double) -> Bool {
        margin > 0 && s.activeFraction >= activeAtLeast && s.batchSpread < batchDistanceBelow * margin
    }

    /// The warning one checkpoint's signals give (a series step or an analysis with a spread
    /// reference), or nil: the same thresholds on the same quantities, with the probe's spread against
    /// the reference standing for the batch's against step 0's.
    public static func check(checkpoint s: StepSignals, reference: String) -> CollapseWarning? {
        fires(s) ? warning(s, spread: "probe's mean pairwise distance", reference: reference, recordsInARow: "") : nil
    }

    static func warning(_ last: StepSignals, spread: String, reference: String, recordsInARow: String) -> CollapseWarning {
        let gap = last.batchSpread > 0 ? last.gap / last.batchSpread : 0
        return CollapseWarning(step: last.step, reasons: [
            WarningReason(code: "batch_spread_collapsing",
                          message: "The \(spread) is \(format(last.batchSpreadRatio)) of \(reference) (under \(format(spreadBelow))\(recordsInARow))."),
            WarningReason(code: "negatives_closer_than_positives",
                          message: "Mean d⁻ − d⁺ is \(format(gap)) × the batch's spread: negatives sit closer than positives."),
            marginReason(last),
        ], signals: last)
    }

    static func marginReason(_ s: StepSignals) -> WarningReason {
        WarningReason(code: "margin_violated_everywhere",
                      message: "\(format(100 * s.activeFraction))% of mined triplets violate the margin (loss at \(format(s.lossRatio)) × its value at collapse).")
    }

    static func fires(_ s: StepSignals) -> Bool {
        guard s.activeFraction >= activeAtLeast, s.batchSpreadRatio < spreadBelow else { return false }
        // A batch collapsed to one point has no spread to compare the gap with: that is the end state itself.
        return s.batchSpread == 0 || s.gap / s.batchSpread < gapBelow
    }

    static func format(_ v: Double) -> String { String(format: "%.3g", v) }
}
