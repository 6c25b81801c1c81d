// Errors from PostgreSQL: the SQLSTATE and the server's message, never the connection string.

/// A libpq or server error.
public struct PGError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Five-character SQLSTATE (nil for client-side failures such as a refused connection).
    public let sqlstate: String?
    public let message: String

    public init(sqlstate: String? = nil, _ message: String) {
        self.sqlstate = sqlstate
        self.message = message
    }

    public var description: String {
        sqlstate.map { "PostgreSQL error \($0): \(message)" } ?? "PostgreSQL: \(message)"
    }
}
