// The command line's one way to the database.
import Postgres

enum Database {
    /// A connection to `DATABASE_URL` (or libpq's PG* variables when it is unset).
    static func connect() throws -> PGConnection { try PGConnector.fromEnvironment().connect() }
}
