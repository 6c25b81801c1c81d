// Applies the embedded sql/ migrations in order, once, under an advisory lock, refusing edited files;
// then the function definitions of sql/functions whose text changed (repeatable definitions).
import Migrations

/// What one `migrate` applied.
public struct MigrationRun: Sendable, Equatable {
    /// Numbered migrations applied now.
    public var migrations: [Migration] = []
    /// Function definitions (re)applied now: new, or their file changed.
    public var functions: [SQLFunction] = []

    /// Nothing was applied: the schema was up to date.
    public var isEmpty: Bool { migrations.isEmpty && functions.isEmpty }
}

/// Schema migrations of isomine.
public enum Migrator {
    /// Advisory lock key held while migrating, so concurrent `isomine migrate` runs take turns.
    static let lockKey = 7305451400018271

    /// Applies the pending migrations, then every function definition whose text differs from the one
    /// last applied.
    ///
    /// Throws when an applied migration's file was edited since (checksums differ), or the database
    /// has a migration this build does not know.
    @discardableResult
    public static func migrate(_ db: PGConnection, migrations: [Migration] = Migrations.all,
                               functions: [SQLFunction] = SQLFunctions.all) throws -> MigrationRun {
        try db.execute("SELECT pg_advisory_lock(\(lockKey))")
        defer { _ = try? db.execute("SELECT pg_advisory_unlock(\(lockKey))") }
        try db.execute("CREATE SCHEMA IF NOT EXISTS isomine")
        try db.execute("""
            CREATE TABLE IF NOT EXISTS isomine.schema_migrations (
                version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())
            """)
        var run = MigrationRun()
        run.migrations = try applyMigrations(db, migrations)
        run.functions = try applyFunctions(db, functions)
        return run
    }

    static func applyMigrations(_ db: PGConnection, _ migrations: [Migration]) throws -> [Migration] {
        struct Applied: Decodable { let version: Int, name: String, checksum: String }
        let applied = try db.execute("SELECT version, name, checksum FROM isomine.schema_migrations ORDER BY version").decode(Applied.self)
        var done = Set<Int>()
        for a in applied {
            guard let m = migrations.first(where: { $0.version == a.version }) else {
                throw MigrationError("the database has migration \(a.name), which this isomine build does not know (is it older than the one that migrated?)")
            }
            let current = try checksum(db, m.sql)
            guard a.checksum == current else {
                throw MigrationError("migration \(m.name) was edited after it was applied (checksum \(a.checksum.prefix(12))… in the database, \(current.prefix(12))… in this build); add a new migration instead")
            }
            done.insert(a.version)
        }
        var now = [Migration]()
        for m in migrations.sorted(by: { $0.version < $1.version }) where !done.contains(m.version) {
            try db.transaction {
                try db.executeScript(m.sql)
                try db.execute("""
                    INSERT INTO isomine.schema_migrations (version, name, checksum)
                    VALUES (\(m.version), \(m.name), encode(sha256(convert_to(\(m.sql), 'UTF8')), 'hex'))
                    """)
            }
            now.append(m)
        }
        return now
    }

    /// Applies each function file whose checksum differs from the one recorded (or that was never
    /// applied), each in its own transaction with its record.
    static func applyFunctions(_ db: PGConnection, _ functions: [SQLFunction]) throws -> [SQLFunction] {
        try db.execute("""
            CREATE TABLE IF NOT EXISTS isomine.schema_functions (
                name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
            """)
        struct Applied: Decodable { let name: String, checksum: String }
        let applied = Dictionary(try db.execute("SELECT name, checksum FROM isomine.schema_functions").decode(Applied.self).map { ($0.name, $0.checksum) },
                                 uniquingKeysWith: { a, _ in a })
        var now = [SQLFunction]()
        for f in functions {
            let current = try checksum(db, f.sql)
            if applied[f.name] == current { continue }
            try db.transaction {
                try db.executeScript(f.sql)
                try db.execute("""
                    INSERT INTO isomine.schema_functions (name, checksum) VALUES (\(f.name), \(current))
                    ON CONFLICT (name) DO UPDATE SET checksum = excluded.checksum, applied_at = now()
                    """)
            }
            now.append(f)
        }
        return now
    }

    /// SHA-256 (hex) of a file's text, computed by the server.
    static func checksum(_ db: PGConnection, _ sql: String) throws -> String {
        try db.execute("SELECT encode(sha256(convert_to(\(sql), 'UTF8')), 'hex') AS sum").row(0).require("sum")
    }
}

/// A migration that cannot be applied: the database is newer than this build, or a file was edited.
public struct MigrationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
