// The error the estimators throw for input they cannot certify: one line naming the problem.

/// Why a labelled embedding cannot be analysed.
public struct EstimatorError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
