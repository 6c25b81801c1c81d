// Errors from PostgreSQL and from reading its results: what kind (a server error with its SQLSTATE, a
// lost or refused connection, a NULL where a value was required, a value of the wrong shape) and the
// message — never the connection string, which may hold a password.

/// A PostgreSQL error with its code and message.
public struct PGError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What failed.
    public enum Code: Equatable, Sendable {
        /// The server refused the statement; the five-character SQLSTATE (e.g. 23505 unique violation).
        case server(sqlstate: String)
        /// No connection: refused, lost, or the server closed it.
        case connection
        /// A column the reader requires was NULL.
        case unexpectedNull(column: String)
        /// A result did not have the shape the reader expected (a missing column, text that is not a number).
        case decoding
    }

    public let code: Code
    /// The server's message (or the client's, for the other codes).
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The SQLSTATE of a server error, nil otherwise.
    public var sqlstate: String? {
        if case .server(let state) = code { return state }
        return nil
    }

    public var description: String {
        switch code {
        case .server(let state): return "PostgreSQL error \(state): \(message)"
        case .connection, .unexpectedNull, .decoding: return "PostgreSQL: \(message)"
        }
    }
}
