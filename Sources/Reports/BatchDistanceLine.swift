// The line the per-step charts (a train run's job page, a monitored series' page) draw for the warning
// rule's batch-distance clause, and the clause's level on it: one definition for both pages.
import CollapseSignals
import Foundation

enum BatchDistanceLine {
    static let name = "batch spread / α (capped at 1)"
    /// The batch's mean pairwise distance over α, capped at 1 so that an unnormalised embedding's large
    /// distances do not flatten the ratios drawn beside it.
    static func value(spread: Double, margin: Double) -> Double { min(spread / margin, 1) }
    /// Where the clause fires.
    static let level = (y: WarningRule.batchDistanceBelow, label: String(format: "distances %.2g α", WarningRule.batchDistanceBelow))
}
