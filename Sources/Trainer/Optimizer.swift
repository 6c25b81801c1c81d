// Adam and SGD with momentum over the flat parameter vector, with weight decay and a learning-rate schedule.
import Foundation
import Linalg

/// The optimiser algorithm.
public enum OptimizerKind: String, Sendable, Codable, CaseIterable {
    /// Adam (Kingma & Ba) with PyTorch's defaults and coupled (L2) weight decay, as torch.optim.Adam.
    case adam
    /// SGD with heavy-ball momentum, as torch.optim.SGD (dampening 0, no Nesterov).
    case sgd
}

/// How the learning rate changes over the run.
public enum LearningRateSchedule: Sendable, Equatable, Codable {
    case constant
    /// Half-cosine from the base rate down to `minimum` at the last step.
    case cosine(minimum: Double)
    /// Multiply by `gamma` every `every` steps.
    case step(every: Int, gamma: Double)
}

/// Optimiser settings.
public struct OptimizerConfig: Sendable, Equatable, Codable {
    public var kind: OptimizerKind
    public var learningRate: Double
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    public var momentum: Double
    public var weightDecay: Double
    public var schedule: LearningRateSchedule

    public init(kind: OptimizerKind = .adam, learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
                epsilon: Double = 1e-8, momentum: Double = 0.9, weightDecay: Double = 0, schedule: LearningRateSchedule = .constant) {
        self.kind = kind
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.schedule = schedule
    }

    /// The learning rate used for update number `step` (0-based) of a run of `totalSteps`.
    public func learningRate(at step: Int, totalSteps: Int) -> Double {
        switch schedule {
        case .constant: return learningRate
        case .cosine(let minimum):
            let t = Double(step) / Double(max(totalSteps, 1))
            return minimum + 0.5 * (learningRate - minimum) * (1 + cos(Double.pi * t))
        case .step(let every, let gamma):
            return learningRate * pow(gamma, Double(step / max(every, 1)))
        }
    }
}

/// Optimiser state (moment vectors and update count) for a parameter vector of fixed size.
public final class Optimizer<T: BLASReal> {
    public let config: OptimizerConfig
    public let totalSteps: Int
    /// First moment (Adam) or momentum buffer (SGD).
    public let first: Buffer<T>
    /// Second moment (Adam only).
    public let second: Buffer<T>
    /// Updates applied so far.
    public var updates: Int = 0
    /// Multiplies the scheduled learning rate (a `lower_learning_rate` action sets it below 1).
    public var learningRateScale = 1.0

    public init(config: OptimizerConfig, parameterCount: Int, totalSteps: Int) {
        self.config = config
        self.totalSteps = totalSteps
        first = Buffer(count: parameterCount)
        second = Buffer(count: config.kind == .adam ? parameterCount : 0)
    }

    /// The learning rate of the next update.
    public var currentLearningRate: Double { config.learningRate(at: updates, totalSteps: totalSteps) * learningRateScale }

    /// Applies one update to `parameters` from `gradients` (both `first.count` long).
    public func step(parameters p: UnsafeMutablePointer<T>, gradients g: UnsafePointer<T>) {
        let lr = currentLearningRate
        updates += 1
        let count = first.count
        let wd = T(config.weightDecay)
        switch config.kind {
        case .adam:
            let bc1 = 1 - pow(config.beta1, Double(updates))
            let bc2 = 1 - pow(config.beta2, Double(updates))
            T.adam(
                parameters: p, gradients: g, first: first.pointer, second: second.pointer, count: count,
                beta1: T(config.beta1), beta2: T(config.beta2), stepSize: T(lr / bc1),
                inverseSqrtBias2: T(1 / bc2.squareRoot()), epsilon: T(config.epsilon), weightDecay: wd)
        case .sgd:
            T.sgd(parameters: p, gradients: g, momentumBuffer: first.pointer, count: count,
                              learningRate: T(lr), momentum: T(config.momentum), weightDecay: wd)
        }
    }
}
