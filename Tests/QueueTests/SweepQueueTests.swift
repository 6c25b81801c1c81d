// Sweeps through the queue: fan-out into child jobs any worker can take, aggregation when the last
// one ends (exactly once, even when children end at the same moment), cancel and retry cascades.
import TestSupport
import Foundation
import Testing
import Jobs
@testable import Postgres
@testable import Queue
@testable import Webhooks
@testable import Workers

/// Runs `workers` worker threads on the scratch database until `done` holds (or 120 s pass).
func runWorkers(_ scratch: ScratchDatabase, _ workers: Int, until done: @escaping @Sendable (PGConnection) throws -> Bool) throws {
    let name = scratch.name
    let results = LockedResults()
    let threads = (0..<workers).map { w in
        Thread {
            do {
                let db = try PGConnection("dbname=\(name)")
                let worker = Worker(db: db, owner: "w\(w)", runner: Runner())
                var ran = 0
                let deadline = Date().addingTimeInterval(120)
                while Date() < deadline, try !done(db) {
                    if try worker.runOne() != nil { ran += 1 } else { Thread.sleep(forTimeInterval: 0.02) }
                }
                results.append(.success(ran))
            } catch {
                results.append(.failure(error))
            }
        }
    }
    threads.forEach { $0.start() }
    while results.count < workers { Thread.sleep(forTimeInterval: 0.02) }
    for r in results.values { _ = try r.get() }
}

@Suite struct SweepQueueTests {
    /// A sweep pruned every pass while it runs (`--older-than 1s`-like, every ended state) keeps its
    /// finished runs until it has aggregated them: it ends succeeded with every run counted and their
    /// metrics kept; afterwards the prune may take them.
    @Test func pruningWhileASweepRunsLosesNothing() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let id = try JobQueue.enqueue(db, kind: "sweep", spec: queuedSweep)
        try runWorkers(scratch, 1) { db in
            if try state(db, id) == "succeeded" { return true }
            try Pruning.prune(db, olderThan: 0.001)
            return false
        }
        let result = try JSONValue.parse(Data((try db.execute("SELECT result::text AS r FROM isomine.jobs WHERE id = \(id)").string(0, "r") ?? "{}").utf8))
        #expect(result["summary"]?["succeeded"] == .number(8) && result["summary"]?["failed"] == .number(0), "\(result["summary"] ?? .null)")
        #expect(result["summary"]?["missing"] == nil)
        guard case .array(let runs)? = result["runs"] else { Issue.record("no runs"); return }
        #expect(runs.allSatisfy { $0["state"] == .string("succeeded") && $0["final"]?["precision_at_1"] != nil })
        // Once the sweep has ended, its runs may go (and the sweep with them).
        Thread.sleep(forTimeInterval: 0.05)
        try Pruning.prune(db, olderThan: 0.001)
        #expect(try count(db, "SELECT count(*) AS n FROM isomine.jobs") == 0)
    }

    @Test func sweepFansOutToWorkersAndAggregatesWhenTheLastRunEnds() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let id = try JobQueue.enqueue(db, kind: "sweep", spec: queuedSweep, priority: 5)
        #expect(try db.execute("SELECT max_attempts FROM isomine.jobs WHERE id = \(id)").int(0, "max_attempts") == 1)
        // First claim: the parent queues its 8 runs (with its priority) and waits without a lease.
        #expect(try Worker(db: db, owner: "w", runner: Runner()).runOne() == id)
        let parent = try db.execute("SELECT state, lease_owner, lease_expires FROM isomine.jobs WHERE id = \(id)")
        #expect(try parent.string(0, "state") == "running" && parent.string(0, "lease_owner") == nil && parent.string(0, "lease_expires") == nil)
        #expect(try count(db, "SELECT count(*) AS n FROM isomine.jobs WHERE parent_id = \(id) AND kind = 'train' AND state = 'queued' AND priority = 5") == 8)
        // The rescuer leaves a waiting parent alone.
        #expect(try JobQueue.rescue(db) == 0)

        try runWorkers(scratch, 3) { try state($0, id) == "succeeded" }
        #expect(try count(db, "SELECT count(*) AS n FROM isomine.jobs WHERE parent_id = \(id) AND state = 'succeeded' AND attempt = 1") == 8)
        for type in ["sweep.started", "sweep.runs_finished", "sweep.finished", "job.succeeded"] {
            #expect(try count(db, "SELECT count(*) AS n FROM isomine.job_events WHERE job_id = \(id) AND type = \(type)") == 1, "\(type)")
        }
        let text = try #require(try db.execute("SELECT result::text AS r FROM isomine.jobs WHERE id = \(id)").string(0, "r"))
        let result = try JSONDecoder().decode(SweepResult.self, from: Data(text.utf8))
        #expect(result.summary.runs == 8 && result.summary.succeeded == 8 && result.cells.count == 4)
        let childIDs = try db.execute("SELECT id FROM isomine.jobs WHERE parent_id = \(id) ORDER BY id").column("id", as: Int.self)
        #expect(Set(result.runs.compactMap(\.id)) == Set(childIDs))
        // The same figures as the sweep run in-process.
        guard case .swept(let local) = try Runner().run(try JobSpec.parse(Data(queuedSweep.utf8)), sink: MemorySink()) else {
            Issue.record("local sweep"); return
        }
        #expect(result.runs.map(\.final) == local.runs.map(\.final))
        #expect(result.cells.map(\.collapseRate) == local.cells.map(\.collapseRate))
    }

    @Test func childrenEndingAtTheSameMomentQueueTheParentExactlyOnce() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let name = scratch.name
        for round in 0..<4 {
            let id = try JobQueue.enqueue(db, kind: "sweep", spec: queuedSweep)
            #expect(try Worker(db: db, owner: "fan", runner: Runner()).runOne() == id)
            // Each of 8 connections claims one run; then all end at the same moment (some fail).
            let results = LockedResults()
            let ready = DispatchSemaphore(value: 0), start = DispatchSemaphore(value: 0)
            let threads = (0..<8).map { i in
                Thread {
                    do {
                        let c = try PGConnection("dbname=\(name)")
                        guard let job = try JobQueue.claim(c, owner: "c\(i)", leaseSeconds: 60) else { throw TestSetupError("no run to claim") }
                        ready.signal()
                        start.wait()
                        if i % 3 == 2 {
                            try JobQueue.fail(c, job, owner: "c\(i)", error: "boom", permanent: true)
                        } else {
                            try JobQueue.succeed(c, job, owner: "c\(i)", result: "{}")
                        }
                        results.append(.success(i))
                    } catch {
                        ready.signal()
                        results.append(.failure(error))
                    }
                }
            }
            threads.forEach { $0.start() }
            for _ in 0..<8 { ready.wait() }
            for _ in 0..<8 { start.signal() }
            while results.count < 8 { Thread.sleep(forTimeInterval: 0.01) }
            for r in results.values { _ = try r.get() }
            #expect(try state(db, id) == "queued", "round \(round)")
            #expect(try count(db, "SELECT count(*) AS n FROM isomine.job_events WHERE job_id = \(id) AND type = 'sweep.runs_finished'") == 1, "round \(round)")
            // The aggregation claim: failures are counted per cell, nothing is lost.
            #expect(try Worker(db: db, owner: "agg", runner: Runner()).runOne() == id)
            #expect(try state(db, id) == "succeeded")
            let failed = try db.execute("SELECT result->'summary'->>'failed' AS f FROM isomine.jobs WHERE id = \(id)").string(0, "f")
            #expect(failed == "2")
        }
    }

    @Test func cancellingASweepCancelsItsRunsAndRetryQueuesThemAgain() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let id = try JobQueue.enqueue(db, kind: "sweep", spec: queuedSweep)
        #expect(try Worker(db: db, owner: "w", runner: Runner()).runOne() == id)
        let running = try #require(try JobQueue.claim(db, owner: "x", leaseSeconds: 60))
        #expect(try JobQueue.cancel(db, id: id))
        #expect(try count(db, "SELECT count(*) AS n FROM isomine.jobs WHERE parent_id = \(id) AND state = 'cancelled'") == 8)
        #expect(try JobQueue.isCancelled(db, running))
        #expect(try Worker(db: db, owner: "w", runner: Runner()).runOne() == nil)
        #expect(try state(db, id) == "cancelled")

        #expect(try JobQueue.retry(db, id: id))
        #expect(try count(db, "SELECT count(*) AS n FROM isomine.jobs WHERE parent_id = \(id) AND state = 'queued'") == 8)
        try runWorkers(scratch, 2) { try state($0, id) == "succeeded" }
        #expect(try db.execute("SELECT result->'summary'->>'succeeded' AS s FROM isomine.jobs WHERE id = \(id)").string(0, "s") == "8")
        // The retried parent did not queue a second set of runs.
        #expect(try count(db, "SELECT count(*) AS n FROM isomine.jobs WHERE parent_id = \(id)") == 8)
    }

    @Test func invalidSweepEnqueuedBySQLFailsAtOnce() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let id = try db.execute("""
            SELECT isomine.enqueue('sweep', '{"kind":"sweep","base":{"dataset":{"type":"digits"}},"grid":{"model.embedding_dim":[2,0]}}'::jsonb) AS id
            """).int(0, "id")!
        #expect(try Worker(db: db, owner: "w", runner: Runner()).runOne() == id)
        let row = try db.execute("SELECT state, last_error FROM isomine.jobs WHERE id = \(id)")
        #expect(try row.string(0, "state") == "failed")
        #expect(try row.string(0, "last_error") == "spec.grid[\"model.embedding_dim\"][1]: must be between 1 and 4096, got 0")
        #expect(try count(db, "SELECT count(*) AS n FROM isomine.jobs WHERE parent_id IS NOT NULL") == 0)
    }
}
