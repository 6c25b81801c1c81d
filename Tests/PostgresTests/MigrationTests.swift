// Migrations and function definitions applied to a real PostgreSQL (deploy/test.sh starts one and
// exports DATABASE_URL and PG*), errors with their SQLSTATE, and a connection string never leaked.
import Foundation
import Testing
import TestSupport
import Migrations
@testable import Postgres

@Suite struct MigrationTests {
    @Test func migrateAppliesOnceAndCreatesTheSchema() throws {
        let scratch = try ScratchDatabase()
        let db = try scratch.connect()
        let first = try Migrator.migrate(db)
        #expect(first.functions.map(\.name) == SQLFunctions.all.map(\.name))
        #expect(first.migrations.map(\.name) == ["001_schema.sql", "002_enqueue.sql", "003_max_attempts.sql", "004_sweeps.sql", "005_webhooks.sql", "006_webhook_trigger_filter.sql", "007_queues_and_workers.sql", "008_inputs_and_series.sql", "009_job_progress.sql", "010_collapse_warning.sql", "011_series_warning.sql", "012_verdict_headline.sql", "013_slack_escape_and_enqueue.sql", "014_webhook_private_network.sql", "015_monitor.sql", "016_provisional_verdict.sql", "017_client_role.sql", "018_stored_numbers_as_doubles.sql", "019_monitor_series_baseline.sql", "020_series_margin.sql", "021_series_normalize.sql"])
        #expect(try Migrator.migrate(db).isEmpty)
        let tables = try db.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'isomine' ORDER BY 1")
        #expect(try tables.column("table_name", as: String.self) == ["artifacts", "checkpoints", "inputs", "instance", "job_events", "jobs", "metrics", "reports", "schema_functions", "schema_migrations", "series", "series_signals", "webhook_attempts", "webhook_deliveries", "webhook_endpoints", "workers"])
    }

    /// In a cluster where the client role does not exist yet, a database owner that may not create roles
    /// (not a superuser, NOCREATEROLE) migrates the whole schema: migration 017 leaves the role uncreated
    /// (its notice says why) and grants nothing, and the owner can still use the writing functions it owns.
    @Test func anOwnerThatMayNotCreateRolesMigratesWithoutTheClientRole() throws {
        let cluster = try PrivateCluster()
        let admin = try PGConnection(cluster.conninfo)
        #expect(try admin.execute("SELECT count(*) AS n FROM pg_roles WHERE rolname = 'isomine_client'").int(0, "n") == 0)
        try admin.execute("CREATE ROLE plain_owner LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB")
        try admin.execute("CREATE DATABASE owned OWNER plain_owner")
        let db = try PGConnection("host=\(cluster.socket) user=plain_owner dbname=owned")
        #expect(try db.execute("SELECT rolsuper OR rolcreaterole AS may FROM pg_roles WHERE rolname = current_user").bool(0, "may") == false)
        let applied = try Migrator.migrate(db)
        #expect(applied.migrations.map(\.name).last == "021_series_normalize.sql")
        #expect(try admin.execute("SELECT count(*) AS n FROM pg_roles WHERE rolname = 'isomine_client'").int(0, "n") == 0)
        // The owner keeps EXECUTE on the functions whose PUBLIC grant 017 revoked.
        let id = try #require(try db.execute("SELECT isomine.enqueue('analyze', '{\"kind\":\"analyze\",\"dataset\":{\"type\":\"toy5\"}}'::jsonb) AS id").int(0, "id"))
        #expect(try db.execute("SELECT state FROM isomine.jobs WHERE id = \(id)").string(0, "state") == "queued")
        #expect(try Migrator.migrate(db).isEmpty)
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

    /// Migration 018 gives signal rows and monitor settings stored before isomine.json_double the reading
    /// the functions now store: a number under 1e-300 in magnitude becomes 0; every other value stays as written.
    @Test func storedNumbersADoubleCannotHoldAreReadAsZero() throws {
        let scratch = try ScratchDatabase()
        let db = try scratch.connect()
        try Migrator.migrate(db, migrations: Migrations.all.filter { $0.version < 18 }, functions: [])
        try db.execute(#"INSERT INTO isomine.series (name, baseline_step, monitor) VALUES ('old', 0, '{"margin": 0.2, "learning_rate": 1e-400, "optimizer": "adam"}'), ('plain', 0, NULL)"#)
        try db.execute(#"INSERT INTO isomine.series_signals (series, step, signals) VALUES ('old', 0, '{"loss": 0.123456789012345678901, "gap": -1e-400, "batch_spread": 1e-290}'), ('old', 1, '{"loss": 0.5, "gap": 0}')"#)
        #expect(try Migrator.migrate(db).migrations.map(\.name) == ["018_stored_numbers_as_doubles.sql", "019_monitor_series_baseline.sql", "020_series_margin.sql", "021_series_normalize.sql"])
        #expect(try db.execute("SELECT monitor::text AS m FROM isomine.series WHERE name = 'old'").first("m", as: String.self)
                == #"{"margin": 0.2, "optimizer": "adam", "learning_rate": 0}"#)
        #expect(try db.execute("SELECT signals::text AS s FROM isomine.series_signals WHERE step = 0").first("s", as: String.self)
                == #"{"gap": 0, "loss": 0.123456789012345678901, "batch_spread": 1e-290}"#.replacingOccurrences(of: "1e-290", with: "0." + String(repeating: "0", count: 289) + "1"))
        #expect(try db.execute("SELECT signals::text AS s FROM isomine.series_signals WHERE step = 1").first("s", as: String.self) == #"{"gap": 0, "loss": 0.5}"#)
        #expect(try db.execute("SELECT monitor IS NULL AS n FROM isomine.series WHERE name = 'plain'").first("n", as: Bool.self) == true)
    }

    /// Migration 019: a series start_monitor made had its monitor's first step as baseline, with no
    /// checkpoint there, and every checkpoint failed. Such a baseline becomes the first checkpoint
    /// submitted (none: no baseline); a baseline with its checkpoint, one a submission named, and a series
    /// of checkpoints alone are left as they were.
    @Test func aMonitoredSeriesBaselineBecomesItsFirstCheckpoint() throws {
        let scratch = try ScratchDatabase()
        let db = try scratch.connect()
        try Migrator.migrate(db, migrations: Migrations.all.filter { $0.version < 19 }, functions: [])
        try db.execute(#"""
            INSERT INTO isomine.series (name, baseline_step, monitor) VALUES
                ('late', 0, '{"margin": 0.2}'), ('alone', 0, '{"margin": 0.2}'), ('resumed', 500, '{"margin": 0.2, "first_step": 500}'),
                ('with-zero', 0, '{"margin": 0.2}'), ('named', 5, '{"margin": 0.2}'), ('plain', 7, NULL)
            """#)
        // The jobs as the enqueue of the time stored them (today's isomine.enqueue needs later columns).
        for (series, step) in [("late", 4), ("late", 2), ("resumed", 600), ("with-zero", 0), ("with-zero", 3), ("named", 9), ("plain", 8)] {
            try db.execute("""
                INSERT INTO isomine.jobs (kind, spec, max_attempts, series, series_step)
                VALUES ('analyze', jsonb_build_object('kind', 'analyze', 'dataset', jsonb_build_object('type', 'toy5'),
                                                      'series', \(series)::text, 'step', \(step)::int), 2, \(series), \(step))
                """)
        }
        #expect(try Migrator.migrate(db, migrations: Migrations.all.filter { $0.version < 20 }, functions: []).migrations.map(\.name) == ["019_monitor_series_baseline.sql"])
        let rows = try db.execute("SELECT name, baseline_step AS b FROM isomine.series ORDER BY name")
        let baselines = Dictionary(uniqueKeysWithValues: try (0..<rows.count).map { (try rows.string($0, "name") ?? "", try rows.int($0, "b")) })
        #expect(baselines == ["late": 4, "alone": nil, "resumed": 600, "with-zero": 0, "named": 5, "plain": 7], "\(baselines)")
    }

    /// 020: a stored series' margin is its monitor's, else its first step's as it was judged (the analyze
    /// default of the time, 0.2, for a step without one); a series with neither, or whose first step's
    /// margin is not a number, has none. A step enqueued afterwards without a margin takes it.
    @Test func aStoredSeriesTakesTheMarginItsStepsWereJudgedAt() throws {
        let scratch = try ScratchDatabase()
        let db = try scratch.connect()
        try Migrator.migrate(db, migrations: Migrations.all.filter { $0.version < 20 }, functions: [])
        try db.execute(#"""
            INSERT INTO isomine.series (name, baseline_step, monitor) VALUES
                ('monitored', 0, '{"margin": 0.05}'), ('unnamed', 0, NULL), ('named', 0, NULL), ('empty', NULL, '{"margin": 0.3}'),
                ('nothing', 0, NULL), ('odd', 0, NULL)
            """#)
        for (series, step, margin) in [("monitored", 0, "0.2"), ("unnamed", 0, nil), ("unnamed", 1, "0.1"), ("named", 0, "0.1"),
                                       ("named", 1, "0.3"), ("odd", 0, "\"wide\"")] as [(String, Int, String?)] {
            try db.execute(PGQuery(unsafeSQL: """
                INSERT INTO isomine.jobs (kind, spec, max_attempts, series, series_step)
                VALUES ('analyze', '{"kind": "analyze", "dataset": {"type": "toy5"}, "series": "\(series)", "step": \(step)\(margin.map { ", \"margin\": \($0)" } ?? "")}', 2, '\(series)', \(step))
                """))
        }
        #expect(try Migrator.migrate(db).migrations.map(\.name) == ["020_series_margin.sql", "021_series_normalize.sql"])
        let rows = try db.execute("SELECT name, margin AS m FROM isomine.series ORDER BY name")
        let margins = Dictionary(uniqueKeysWithValues: try (0..<rows.count).map { (try rows.string($0, "name") ?? "", try rows.double($0, "m")) })
        #expect(margins == ["monitored": 0.05, "unnamed": 0.2, "named": 0.1, "empty": 0.3, "nothing": nil, "odd": nil], "\(margins)")
        let next = try db.execute("""
            SELECT isomine.enqueue('analyze', '{"kind": "analyze", "dataset": {"type": "toy5"}, "series": "named", "step": 2}') AS id
            """).int(0, "id")
        #expect(try db.execute("SELECT spec->>'margin' AS m FROM isomine.jobs WHERE id = \(next ?? -1)").string(0, "m") == "0.1")
        // 021: every stored series with a step or a monitor was judged on its embeddings as given.
        let normalized = try db.execute("SELECT name, normalize::text AS n FROM isomine.series ORDER BY name")
        let ways = Dictionary(uniqueKeysWithValues: try (0..<normalized.count).map { (try normalized.string($0, "name") ?? "", try normalized.string($0, "n")) })
        #expect(ways == ["monitored": "false", "unnamed": "false", "named": "false", "empty": "false", "nothing": nil, "odd": "false"], "\(ways)")
        #expect(try db.execute("SELECT spec ? 'normalize' AS n FROM isomine.jobs WHERE id = \(next ?? -1)").bool(0, "n") == false)
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

    @Test func errorsCarrySQLStateAndParametersAreNeverInterpolated() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connect()
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
