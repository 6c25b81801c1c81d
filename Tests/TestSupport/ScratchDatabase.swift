// Databases for tests on the real PostgreSQL that deploy/test.sh starts (it exports DATABASE_URL and
// PG*): one scratch database per test, copied from a template migrated once per migration set.
import Foundation
import Migrations
import Postgres

/// A fresh database for one test, dropped (with its reports folder) when released.
public final class ScratchDatabase {
    public let name: String
    let admin: PGConnection

    /// An empty database, or (`migrated`) a copy of a migrated template: `CREATE DATABASE … TEMPLATE`
    /// copies files in milliseconds where migrating takes a round trip per statement. A copy gets an
    /// identity of its own (`isomine.instance`), as a freshly migrated database would.
    public init(migrated: Bool = false) throws {
        guard ProcessInfo.processInfo.environment["DATABASE_URL"] != nil else {
            throw TestSetupError("DATABASE_URL is not set: run the tests through deploy/test.sh, which starts a private PostgreSQL")
        }
        admin = try PGConnector.fromEnvironment().connect()
        name = "isomine_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        if migrated {
            try admin.execute("CREATE DATABASE \(identifier: name) TEMPLATE \(identifier: try MigratedTemplate.name.get())")
            try connect().execute("UPDATE isomine.instance SET id = gen_random_uuid()")
        } else {
            try admin.execute("CREATE DATABASE \(identifier: name)")
        }
    }

    /// A new connection to the scratch database (host and user from the PG* variables).
    public func connect() throws -> PGConnection { try PGConnection("dbname=\(name)") }

    /// A new connection, with the database migrated to the current migrations first if it is not.
    public func connectMigrated() throws -> PGConnection {
        let db = try connect()
        try Migrator.migrate(db)
        return db
    }

    deinit {
        _ = try? admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = \(name) AND pid <> pg_backend_pid()")
        _ = try? admin.execute("DROP DATABASE IF EXISTS \(identifier: name)")
        try? FileManager.default.removeItem(atPath: reportsRoot(name))
    }
}

/// The reports folder of a test database's workers (per test process: a folder belongs to one database).
public func reportsRoot(_ database: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("isomine-reports-\(database)-\(getpid())").path
}

/// A database migrated to the current migrations, made once per cluster and migration set (its name
/// carries a hash of every migration's text) and copied by `ScratchDatabase(migrated: true)`.
enum MigratedTemplate {
    static let name: Result<String, Error> = Result {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in (Migrations.all.map(\.sql) + SQLFunctions.all.map(\.sql)).joined(separator: "\u{0}").utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let name = "isomine_template_" + String(hash, radix: 16)
        let admin = try PGConnector.fromEnvironment().connect()
        if try admin.execute("SELECT 1 FROM pg_database WHERE datname = \(name)").count == 1 { return name }
        // Built under another name and renamed when complete, so a run killed halfway leaves no
        // half-migrated template behind under the name.
        let building = name + "_\(getpid())"
        try admin.execute("DROP DATABASE IF EXISTS \(identifier: building)")
        try admin.execute("CREATE DATABASE \(identifier: building)")
        do {
            let db = try PGConnection("dbname=\(building)")
            try Migrator.migrate(db)
        }
        try admin.execute("ALTER DATABASE \(identifier: building) RENAME TO \(identifier: name)")
        return name
    }
}

/// The `n` column of a one-row count query (-1 when it is null).
public func count(_ db: PGConnection, _ query: PGQuery) throws -> Int {
    try db.execute(query).int(0, "n") ?? -1
}

/// A job's state, nil when there is no such job.
public func state(_ db: PGConnection, _ id: Int) throws -> String? {
    try db.execute("SELECT state FROM isomine.jobs WHERE id = \(id)").string(0, "state")
}
