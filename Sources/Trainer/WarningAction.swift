// What a training run does when its collapse warning fires, and the record of what it did.
import Triplets

/// `on_warning.action` names: the spec's field and the `action` of the record of what a run did.
public enum OnWarningAction: String, CaseIterable, Sendable, Codable {
    case none, stop
    case switchMiner = "switch_miner"
    case lowerLearningRate = "lower_learning_rate"
}

/// An action on the collapse warning that changes how the run trains (`stop` is the runner's: it ends
/// the run rather than changing it).
public enum WarningAction: Sendable, Equatable {
    /// Train on with another miner.
    case switchMiner(Miner)
    /// Train on with the learning rate (and its schedule) multiplied by a factor in (0, 1).
    case lowerLearningRate(factor: Double)

    /// The spec's name of this action.
    public var name: OnWarningAction {
        switch self {
        case .switchMiner: return .switchMiner
        case .lowerLearningRate: return .lowerLearningRate
        }
    }
}

/// What a run did on its warning: the action, the step warned at and the step it resumed from (the
/// last rewind point before the warning), with the trajectory it abandoned summarised.
public struct WarningIntervention: Sendable, Codable, Equatable {
    /// `switch_miner` or `lower_learning_rate` (a run's result), or `stop` (only in the warning's event).
    public var action: OnWarningAction
    /// The step of the warning.
    public var warnedAt: Int
    /// The step training went back to (≤ `warnedAt`; equal only for a warning at step 0).
    public var resumedFrom: Int
    /// The miner trained with from `resumedFrom` on (`switch_miner`), and the one before.
    public var miner: Miner?
    public var previousMiner: Miner?
    /// The factor and the learning rate from `resumedFrom` on (`lower_learning_rate`).
    public var factor: Double?
    public var learningRate: Double?
    /// The first signal record of the abandoned steps whose probe verdict was collapsed (nil: none was):
    /// the run had already collapsed before the action when this is set.
    public var abandonedCollapseStep: Int?

    enum CodingKeys: String, CodingKey {
        case action
        case warnedAt = "warned_at"
        case resumedFrom = "resumed_from"
        case miner
        case previousMiner = "previous_miner"
        case factor
        case learningRate = "learning_rate"
        case abandonedCollapseStep = "abandoned_collapse_step"
    }

    /// The record of a run that ends on its warning (`on_warning.action` `stop`).
    public static func stopped(at step: Int) -> WarningIntervention {
        WarningIntervention(action: .stop, warnedAt: step, resumedFrom: step)
    }

    /// The action as a sentence (for logs, pages and the warning's event).
    public var summary: String {
        if action == .stop { return "stopped the run at step \(warnedAt)" }
        let what: String
        if let miner, let previousMiner {
            what = "switched miner \(previousMiner.rawValue) → \(miner.rawValue)"
        } else if let factor, let learningRate {
            what = "lowered the learning rate by \(factor) to \(learningRate)"
        } else {
            what = action.rawValue
        }
        let from = resumedFrom == warnedAt ? "at step \(warnedAt)" : "warned at step \(warnedAt), resumed from step \(resumedFrom)"
        return "\(what) (\(from))"
    }
}
