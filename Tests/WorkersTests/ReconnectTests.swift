// The worker loop survives a database that is down at start and connections that are killed mid-run.
import Foundation
import TestSupport
import Logging
import Testing
import Jobs
@testable import Postgres
@testable import Queue
@testable import Webhooks
@testable import Workers

@Suite struct ReconnectTests {
    @Test func databaseDownAtStartIsRetried() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        for _ in 0..<3 { _ = try JobQueue.enqueue(db, kind: "analyze", spec: quickAnalyze) }
        var attempts = 0
        var options = WorkerLoopOptions(owner: "w")
        options.exitWhenIdle = true
        WorkerLoop.run(options: options, runner: Runner(), logger: Logger(label: "test"), shuttingDown: { false }) {
            attempts += 1
            if attempts <= 2 { throw PGError(.connection, "cannot connect: server is starting up") }
            return try scratch.connect()
        }
        #expect(attempts == 3)
        #expect(try db.execute("SELECT count(*) AS n FROM isomine.jobs WHERE state = 'succeeded'").int(0, "n") == 3)
    }

    @Test func killedConnectionsAreReplacedAndNoJobIsLost() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        for _ in 0..<40 { _ = try JobQueue.enqueue(db, kind: "analyze", spec: quickAnalyze) }
        let name = scratch.name
        var options = WorkerLoopOptions(owner: "w")
        options.exitWhenIdle = true
        options.leaseSeconds = 3
        let done = LockedResults()
        let thread = Thread { [options] in
            WorkerLoop.run(options: options, runner: Runner(), logger: Logger(label: "test"), shuttingDown: { false }) {
                try PGConnection("dbname=\(name)")
            }
            done.append(.success(0))
        }
        thread.start()
        // Kill the worker's backend a few times while it works (as a PostgreSQL restart would).
        for _ in 0..<3 {
            Thread.sleep(forTimeInterval: 0.05)
            try db.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = \(name) AND pid <> pg_backend_pid()")
        }
        while done.count < 1 { Thread.sleep(forTimeInterval: 0.02) }
        // A job whose finishing write was cut off is rescued once its lease expires; a second pass runs it.
        Thread.sleep(forTimeInterval: 3.5)
        WorkerLoop.run(options: options, runner: Runner(), logger: Logger(label: "test"), shuttingDown: { false }) {
            try PGConnection("dbname=\(name)")
        }
        #expect(try db.execute("SELECT count(*) AS n FROM isomine.jobs WHERE state = 'succeeded'").int(0, "n") == 40)
    }
}
