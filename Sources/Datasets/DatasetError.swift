// The error every dataset loader, split and sampler throws: one line that names the problem.

/// A problem with a dataset, its files or its split, described in one line for the user.
public struct DatasetError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The spec field the problem belongs to, e.g. `dataset.features` (nil when none applies).
    public let field: String?
    /// What is wrong, in words a user can act on.
    public let message: String

    public init(field: String? = nil, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String {
        if let field { return "\(field): \(message)" }
        return message
    }
}
