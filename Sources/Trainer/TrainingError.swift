// Errors a training run reports to its caller, each one line naming the problem.

/// Why a training run could not start or continue.
public struct TrainingError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
