// The one error type of job-spec validation: a field path and what is wrong with it.

/// A job spec problem, printed as one line: `spec.sampler.samples_per_class: must be at least 2`.
///
/// Validation errors are permanent: a job with one fails at once and is never retried.
public struct SpecError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Dotted path of the offending field, starting at `spec`.
    public let path: String
    public let message: String

    public init(path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}
