// JobStore against a real PostgreSQL (deploy/test.sh starts one and exports DATABASE_URL and PG*):
// each test works in a database of its own, dropped at the end.
import TestSupport
import Foundation
import Testing
import Migrations
@testable import Postgres
@testable import Queue
@testable import Webhooks
@testable import Workers

/// A fresh database for one test.
final class ScratchDatabase {
    let name: String
    let admin: PGConnection

    /// An empty database, or (`migrated`) a copy of a migrated template: `CREATE DATABASE … TEMPLATE`
    /// copies files in milliseconds where migrating takes a round trip per statement. A copy gets an
    /// identity of its own (`isomine.instance`), as a freshly migrated database would.
    init(migrated: Bool = false) throws {
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
    func connect() throws -> PGConnection { try PGConnection("dbname=\(name)") }

    deinit {
        _ = try? admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = \(name) AND pid <> pg_backend_pid()")
        _ = try? admin.execute("DROP DATABASE IF EXISTS \(identifier: name)")
        try? FileManager.default.removeItem(atPath: reportsRoot(name))
    }
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

@Suite struct JobStoreTests {
    @Test func migrateAppliesOnceAndCreatesTheSchema() throws {
        let scratch = try ScratchDatabase()
        let db = try scratch.connect()
        let first = try Migrator.migrate(db)
        #expect(first.functions.map(\.name) == SQLFunctions.all.map(\.name))
        #expect(first.migrations.map(\.name) == ["001_schema.sql", "002_enqueue.sql", "003_max_attempts.sql", "004_sweeps.sql", "005_webhooks.sql", "006_webhook_trigger_filter.sql", "007_queues_and_workers.sql", "008_inputs_and_series.sql", "009_job_progress.sql", "010_collapse_warning.sql", "011_series_warning.sql", "012_verdict_headline.sql", "013_slack_escape_and_enqueue.sql", "014_webhook_private_network.sql"])
        #expect(try Migrator.migrate(db).isEmpty)
        let tables = try db.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'isomine' ORDER BY 1")
        #expect(try tables.column("table_name", as: String.self) == ["artifacts", "checkpoints", "inputs", "instance", "job_events", "jobs", "metrics", "reports", "schema_functions", "schema_migrations", "series", "webhook_attempts", "webhook_deliveries", "webhook_endpoints", "workers"])
    }

    @Test func editedMigrationIsRefused() throws {
        let scratch = try ScratchDatabase()
        let db = try scratch.connect()
        try Migrator.migrate(db)
        try db.execute("UPDATE isomine.schema_migrations SET checksum = \(String(repeating: "0", count: 64)) WHERE version = 1")
        #expect {
            try Migrator.migrate(db)
        } throws: { error in
            (error as? MigrationError)?.description.hasPrefix("migration 001_schema.sql was edited after it was applied") == true
        }
        try db.execute("INSERT INTO isomine.schema_migrations (version, name, checksum) VALUES (99, '099_future.sql', 'x')")
        try db.execute("UPDATE isomine.schema_migrations SET checksum = encode(sha256(convert_to(\(Migrations.all[0].sql), 'UTF8')), 'hex') WHERE version = 1")
        #expect {
            try Migrator.migrate(db)
        } throws: { error in
            (error as? MigrationError)?.description.hasPrefix("the database has migration 099_future.sql") == true
        }
    }

    /// Functions are defined once, in sql/functions: each file holds the definition the database ends
    /// with, a changed file is applied again (and only it), and every function of the schema has a file.
    @Test func functionFilesAreTheCurrentDefinitionsAndApplyWhenChanged() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connect()
        let defined = try db.execute("""
            SELECT p.proname AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'isomine' ORDER BY 1
            """).column("name", as: String.self)
        #expect(defined == SQLFunctions.all.map(\.name).sorted(), "every function of the schema has one file, and every file one function")
        for f in SQLFunctions.all {
            #expect(f.sql.contains("CREATE OR REPLACE FUNCTION isomine.\(f.name)("), "\(f.name).sql defines isomine.\(f.name)")
        }
        // A changed definition is applied, once; the others are left alone.
        var edited = SQLFunctions.all
        let i = try #require(edited.firstIndex { $0.name == "slack_escape" })
        edited[i] = SQLFunction(name: "slack_escape", sql: """
            CREATE OR REPLACE FUNCTION isomine.slack_escape(text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'edited:' || $1 $$;
            """)
        #expect(try Migrator.migrate(db, functions: edited).functions.map(\.name) == ["slack_escape"])
        #expect(try db.execute("SELECT isomine.slack_escape('x') AS v").first("v", as: String.self) == "edited:x")
        #expect(try Migrator.migrate(db, functions: edited).isEmpty)
        // Back to the file's text: applied again, and the escaping is the real one.
        #expect(try Migrator.migrate(db).functions.map(\.name) == ["slack_escape"])
        #expect(try db.execute("SELECT isomine.slack_escape('<!channel>') AS v").first("v", as: String.self) == "&lt;!channel&gt;")
    }

    @Test func concurrentMigrationsTakeTurns() throws {
        let scratch = try ScratchDatabase()
        let name = scratch.name
        let results = LockedResults()
        let threads = (0..<4).map { _ in
            Thread {
                do {
                    let db = try PGConnection("dbname=\(name)")
                    results.append(.success(try Migrator.migrate(db).migrations.count))
                } catch {
                    results.append(.failure(error))
                }
            }
        }
        threads.forEach { $0.start() }
        while results.count < 4 { Thread.sleep(forTimeInterval: 0.01) }
        let counts = try results.values.map { try $0.get() }
        #expect(counts.sorted() == [0, 0, 0, Migrations.all.count])
        let db = try scratch.connect()
        #expect(try db.execute("SELECT count(*) AS n FROM isomine.schema_migrations").int(0, "n") == Migrations.all.count)
    }

    @Test func enqueueReturnsAnIdNotifiesAndDedupes() throws {
        let scratch = try ScratchDatabase()
        let db = try scratch.connect()
        try Migrator.migrate(db)
        let listener = try scratch.connect()
        try listener.listen("isomine_jobs")
        let id = try db.execute("SELECT isomine.enqueue('train', \(#"{"kind":"train"}"#)::jsonb) AS id").int(0, "id")
        #expect(id != nil)
        let notes = try listener.notifications(timeout: 5)
        #expect(notes == [PGNotification(channel: "isomine_jobs", payload: String(id!))])
        let a = try db.execute("SELECT isomine.enqueue('train', '{}'::jsonb, unique_key => \("nightly")) AS id").int(0, "id")
        let b = try db.execute("SELECT isomine.enqueue('analyze', '{}'::jsonb, unique_key => \("nightly")) AS id").int(0, "id")
        #expect(a == b && a != id)
        let row = try db.execute("SELECT kind, state, attempt, priority FROM isomine.jobs WHERE id = \(id!)")
        #expect(try row.string(0, "kind") == "train" && row.string(0, "state") == "queued" && row.int(0, "attempt") == 0)
        #expect(try db.execute("SELECT count(*) AS n FROM isomine.job_events WHERE type = 'job.enqueued'").int(0, "n") == 2)
        // Per-kind attempt limits, or an explicit one.
        let limits = try db.execute("SELECT kind, max_attempts FROM isomine.jobs ORDER BY id")
        #expect(try limits.column("max_attempts", as: Int.self) == [3, 3])
        let analyze = try db.execute("SELECT isomine.enqueue('analyze', '{}'::jsonb) AS id").int(0, "id")!
        let custom = try db.execute("SELECT isomine.enqueue('train', '{}'::jsonb, max_attempts => 7) AS id").int(0, "id")!
        #expect(try db.execute("SELECT max_attempts FROM isomine.jobs WHERE id = \(analyze)").int(0, "max_attempts") == 2)
        #expect(try db.execute("SELECT max_attempts FROM isomine.jobs WHERE id = \(custom)").int(0, "max_attempts") == 7)
    }

    @Test func errorsCarrySQLStateAndParametersAreNeverInterpolated() throws {
        let scratch = try ScratchDatabase()
        let db = try scratch.connect()
        try Migrator.migrate(db)
        #expect(throws: PGError.self) { try db.execute("SELEC 1") }
        do { try db.execute("SELEC 1") } catch let e as PGError { #expect(e.sqlstate == "42601") }
        do {
            try db.execute("INSERT INTO isomine.jobs (kind, spec) VALUES (\("fit"), '{}')")
        } catch let e as PGError {
            #expect(e.sqlstate == "23514")
        }
        let hostile = "x'); DROP TABLE isomine.jobs; --"
        let echoed = try db.execute("SELECT \(hostile)::text AS v").string(0, "v")
        #expect(echoed == hostile)
        #expect(try db.execute("SELECT count(*) AS n FROM isomine.jobs").int(0, "n") == 0)
        #expect(try db.execute("SELECT \(nil as String?) IS NULL AS isnull").bool(0, "isnull") == true)
        #expect(throws: PGError(.decoding, "no row 0 in a result of 0 rows")) { try db.execute("SELECT 1 AS x WHERE false").int(0, "x") }
    }

    @Test func connectionFailureDoesNotLeakTheConnectionString() {
        do {
            _ = try PGConnection("postgresql://isomine:s3cret-pass@127.0.0.1:1/nope?connect_timeout=2")
            Issue.record("connected")
        } catch let e as PGError {
            #expect(e.message.hasPrefix("cannot connect:"))
            #expect(!e.description.contains("s3cret-pass"))
        } catch {
            Issue.record("\(error)")
        }
    }
}

/// Results collected from threads.
final class LockedResults: @unchecked Sendable {
    // Guarded by `lock`: threads append, the test reads.
    private let lock = NSLock()
    private var storage: [Result<Int, Error>] = []
    func append(_ r: Result<Int, Error>) { lock.lock(); storage.append(r); lock.unlock() }
    var count: Int { lock.lock(); defer { lock.unlock() }; return storage.count }
    var values: [Result<Int, Error>] { lock.lock(); defer { lock.unlock() }; return storage }
}
