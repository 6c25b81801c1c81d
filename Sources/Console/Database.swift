// The command line's one way to the database.
import Postgres

public enum Database {
    /// A connection to `DATABASE_URL` (or libpq's PG* variables when it is unset).
    public static func connect() throws -> PGConnection { try PGConnector.fromEnvironment().connect() }
}
