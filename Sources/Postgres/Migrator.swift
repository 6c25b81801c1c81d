// Applies the embedded sql/ migrations in order, once, under an advisory lock, refusing edited files.
import Migrations

/// Schema migrations of isomine.
public enum Migrator {
    /// Advisory lock key held while migrating, so concurrent `isomine migrate` runs take turns.
    static let lockKey = 7305451400018271

    /// Applies the pending migrations; returns the ones applied now (empty when up to date).
    ///
    /// Throws when an applied migration's file was edited since (checksums differ), or the database
    /// has a migration this build does not know.
    @discardableResult
    public static func migrate(_ db: PGConnection, migrations: [Migration] = Migrations.all) throws -> [Migration] {
        try db.execute("SELECT pg_advisory_lock(\(lockKey))")
        defer { _ = try? db.execute("SELECT pg_advisory_unlock(\(lockKey))") }
        try db.execute("CREATE SCHEMA IF NOT EXISTS isomine")
        try db.execute("""
            CREATE TABLE IF NOT EXISTS isomine.schema_migrations (
                version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())
            """)
        struct Applied: Decodable { let version: Int, name: String, checksum: String }
        let applied = try db.execute("SELECT version, name, checksum FROM isomine.schema_migrations ORDER BY version").decode(Applied.self)
        var done = Set<Int>()
        for a in applied {
            let (version, name, stored) = (a.version, a.name, a.checksum)
            guard let m = migrations.first(where: { $0.version == version }) else {
                throw MigrationError("the database has migration \(name), which this isomine build does not know (is it older than the one that migrated?)")
            }
            let current = try checksum(db, m.sql)
            guard stored == current else {
                throw MigrationError("migration \(m.name) was edited after it was applied (checksum \(stored.prefix(12))… in the database, \(current.prefix(12))… in this build); add a new migration instead")
            }
            done.insert(version)
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

    /// SHA-256 (hex) of a migration's text, computed by the server.
    static func checksum(_ db: PGConnection, _ sql: String) throws -> String {
        try db.execute("SELECT encode(sha256(convert_to(\(sql), 'UTF8')), 'hex') AS sum").string(0, "sum") ?? ""
    }
}

/// A migration that cannot be applied: the database is newer than this build, or a file was edited.
public struct MigrationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
