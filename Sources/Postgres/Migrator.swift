// Applies the embedded sql/ migrations in order, once, under an advisory lock, refusing edited files.
import Migrations

/// Schema migrations of isomine.
public enum Migrator {
    /// Advisory lock key held while migrating, so concurrent `isomine migrate` runs take turns.
    static let lockKey = "7305451400018271"

    /// Applies the pending migrations; returns the ones applied now (empty when up to date).
    ///
    /// Throws when an applied migration's file was edited since (checksums differ), or the database
    /// has a migration this build does not know.
    @discardableResult
    public static func migrate(_ db: PGConnection, migrations: [Migration] = Migrations.all) throws -> [Migration] {
        try db.execute("SELECT pg_advisory_lock($1::bigint)", [lockKey])
        defer { _ = try? db.execute("SELECT pg_advisory_unlock($1::bigint)", [lockKey]) }
        try db.execute("CREATE SCHEMA IF NOT EXISTS isomine")
        try db.execute("""
            CREATE TABLE IF NOT EXISTS isomine.schema_migrations (
                version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())
            """)
        let applied = try db.execute("SELECT version, name, checksum FROM isomine.schema_migrations ORDER BY version")
        var done = Set<Int>()
        for r in 0..<applied.count {
            let version = try applied.int(r, "version")!
            let name = try applied.string(r, "name") ?? "?"
            guard let m = migrations.first(where: { $0.version == version }) else {
                throw PGError("the database has migration \(name), which this isomine build does not know (is it older than the one that migrated?)")
            }
            let stored = try applied.string(r, "checksum") ?? ""
            let current = try checksum(db, m.sql)
            guard stored == current else {
                throw PGError("migration \(m.name) was edited after it was applied (checksum \(stored.prefix(12))… in the database, \(current.prefix(12))… in this build); add a new migration instead")
            }
            done.insert(version)
        }
        var now = [Migration]()
        for m in migrations.sorted(by: { $0.version < $1.version }) where !done.contains(m.version) {
            try db.transaction {
                try db.executeScript(m.sql)
                try db.execute("""
                    INSERT INTO isomine.schema_migrations (version, name, checksum)
                    VALUES ($1::integer, $2, encode(sha256(convert_to($3, 'UTF8')), 'hex'))
                    """, [String(m.version), m.name, m.sql])
            }
            now.append(m)
        }
        return now
    }

    /// SHA-256 (hex) of a migration's text, computed by the server.
    static func checksum(_ db: PGConnection, _ sql: String) throws -> String {
        try db.execute("SELECT encode(sha256(convert_to($1, 'UTF8')), 'hex') AS sum", [sql]).string(0, "sum") ?? ""
    }
}
