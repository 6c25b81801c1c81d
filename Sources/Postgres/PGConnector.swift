// The one way to open connections: a connection string held once, from which every connection, session
// and child process's environment is made.
import Foundation

/// Opens connections to one database. Sendable (it holds only the connection string), so threads and
/// child processes each open their own from it.
public struct PGConnector: Sendable {
    /// The libpq connection string or URI; "" uses libpq's PG* variables. May hold a password: never
    /// log or print it.
    public let conninfo: String

    public init(conninfo: String) { self.conninfo = conninfo }

    /// The variable that names the database.
    public static let environmentVariable = "DATABASE_URL"

    /// `DATABASE_URL`, or libpq's `PG*` variables (PGHOST, PGDATABASE…) when it is unset.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> PGConnector {
        PGConnector(conninfo: env[environmentVariable] ?? "")
    }

    /// A new connection.
    public func connect() throws -> PGConnection { try PGConnection(conninfo) }

    /// A connection opened on first use and reopened after it broke.
    public func session() -> PGSession { PGSession(self) }
}
