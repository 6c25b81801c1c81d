// The error the estimators throw for input they cannot certify: one line naming the problem.

/// Why a labelled embedding cannot be analysed.
public struct EstimatorError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    /// The option at fault (`probe_size`), or nil when the data itself is the problem.
    public let option: String?
    public init(_ message: String, option: String? = nil) {
        self.message = message
        self.option = option
    }
    public var description: String { message }
}
