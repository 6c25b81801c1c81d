// The queue and the worker against a real PostgreSQL: exactly-once with concurrent workers,
// permanent failures, cancel, rescue, the lease compare-and-set, metrics written back.
import Foundation
import TestSupport
import Testing
import Jobs
@testable import Postgres
@testable import Queue
@testable import Webhooks
@testable import Workers

@Suite struct WorkerTests {
    @Test func fourWorkersRunTwoHundredJobsExactlyOnce() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        for _ in 0..<200 { _ = try JobQueue.enqueue(db, kind: "analyze", spec: quickAnalyze) }
        let name = scratch.name
        let results = LockedResults()
        let threads = (0..<4).map { w in
            Thread {
                do {
                    let worker = Worker(db: try PGConnection("dbname=\(name)"), owner: "w\(w)", runner: Runner())
                    var ran = 0
                    while try worker.runOne() != nil { ran += 1 }
                    results.append(.success(ran))
                } catch {
                    results.append(.failure(error))
                }
            }
        }
        threads.forEach { $0.start() }
        while results.count < 4 { Thread.sleep(forTimeInterval: 0.02) }
        let ran = try results.values.map { try $0.get() }
        #expect(ran.reduce(0, +) == 200)
        #expect(try db.execute("SELECT count(*) AS n FROM isomine.jobs WHERE state = 'succeeded' AND attempt = 1").int(0, "n") == 200)
        #expect(try db.execute("SELECT count(*) AS n FROM isomine.job_events WHERE type = 'job.started'").int(0, "n") == 200)
        let result = try db.execute("SELECT result->>'kind' AS kind, result->'final'->'estimators'->>'l_hard' AS l FROM isomine.jobs LIMIT 1")
        #expect(try result.string(0, "kind") == "analyze" && result.string(0, "l") != nil)
    }

    @Test func invalidSpecFailsAtOnceWithTheFieldNamed() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let id = try JobQueue.enqueue(db, kind: "train", spec: #"{"kind":"train","dataset":{"type":"digits"},"sampler":{"samples_per_class":1}}"#)
        let worker = Worker(db: db, owner: "w", runner: Runner())
        #expect(try worker.runOne() == id)
        let row = try db.execute("SELECT state, attempt, last_error FROM isomine.jobs WHERE id = \(id)")
        #expect(try row.string(0, "state") == "failed" && row.int(0, "attempt") == 1)
        #expect(try row.string(0, "last_error") == "spec.sampler.samples_per_class: must be at least 2")
        #expect(try worker.runOne() == nil)
    }

    @Test func trainJobWritesMetricsAndResult() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let spec = #"{"kind":"train","dataset":{"type":"blobs","classes":4,"per_class":20,"dim":4},"model":{"hidden":[16],"embedding_dim":4},"sampler":{"classes_per_batch":4,"samples_per_class":4},"steps":40,"eval_every":20,"checkpoint_every":20,"estimators":{"iterations":5}}"#
        let id = try JobQueue.enqueue(db, kind: "train", spec: spec)
        #expect(try Worker(db: db, owner: "w", runner: Runner()).runOne() == id)
        #expect(try db.execute("SELECT state FROM isomine.jobs WHERE id = \(id)").string(0, "state") == "succeeded")
        let steps = try db.execute("SELECT step FROM isomine.metrics WHERE job_id = \(id) AND name = 'precision_at_1' ORDER BY step")
        #expect(try steps.column("step", as: Int.self) == [0, 20, 40])
        #expect(try db.execute("SELECT count(*) AS n FROM isomine.metrics WHERE job_id = \(id) AND name = 'd_iso_upper'").int(0, "n") == 3)
        // Checkpoints were written (step 20) and dropped when the job succeeded: it never resumes.
        #expect(try db.execute("SELECT count(*) AS n FROM isomine.checkpoints WHERE job_id = \(id)").int(0, "n") == 0)
        #expect(try db.execute("SELECT result->'final'->>'step' AS s FROM isomine.jobs WHERE id = \(id)").string(0, "s") == "40")
        let artifacts = try db.execute("SELECT name, length(data) AS bytes FROM isomine.artifacts WHERE job_id = \(id) ORDER BY name")
        #expect(try artifacts.column("name", as: String.self) == ["f_star_haus.npy", "f_star_iso.npy", "probe_final.npy", "probe_labels.npy", "probe_rows.npy", "probe_start.npy", "step_signals.json"])
        #expect(try artifacts.int(2, "bytes")! > 128)
    }

    @Test func cancelledJobsDoNotRun() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let id = try JobQueue.enqueue(db, kind: "analyze", spec: quickAnalyze)
        #expect(try JobQueue.cancel(db, id: id))
        #expect(try !JobQueue.cancel(db, id: id))
        #expect(try Worker(db: db, owner: "w", runner: Runner()).runOne() == nil)
    }

    @Test func expiredLeasesAreRescuedAndLateFinishersLose() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let id = try JobQueue.enqueue(db, kind: "analyze", spec: quickAnalyze)
        try db.execute("UPDATE isomine.jobs SET max_attempts = 2 WHERE id = \(id)")
        let first = try #require(try JobQueue.claim(db, owner: "old", leaseSeconds: 30))
        try db.execute("UPDATE isomine.jobs SET lease_expires = now() - interval '1 second' WHERE id = \(id)")
        #expect(try JobQueue.rescue(db) == 1)
        let second = try #require(try JobQueue.claim(db, owner: "new", leaseSeconds: 30))
        #expect(second.attempt == 2)
        // The rescued worker's late result must not overwrite the new owner's job.
        #expect(try !JobQueue.succeed(db, first, owner: "old", result: "{}"))
        #expect(try !JobQueue.heartbeat(db, first, owner: "old", leaseSeconds: 30))
        #expect(try JobQueue.heartbeat(db, second, owner: "new", leaseSeconds: 30))
        // Out of attempts: an expired lease sends the job to dead.
        try db.execute("UPDATE isomine.jobs SET lease_expires = now() - interval '1 second' WHERE id = \(id)")
        #expect(try JobQueue.rescue(db) == 1)
        #expect(try db.execute("SELECT state FROM isomine.jobs WHERE id = \(id)").string(0, "state") == "dead")
    }

    @Test func transientFailuresRetryWithBackoffThenDie() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let id = try JobQueue.enqueue(db, kind: "analyze", spec: quickAnalyze)
        try db.execute("UPDATE isomine.jobs SET max_attempts = 2 WHERE id = \(id)")
        let a = try #require(try JobQueue.claim(db, owner: "w", leaseSeconds: 30))
        #expect(try JobQueue.fail(db, a, owner: "w", error: "disk full", permanent: false) == .queued)
        // Backed off: not claimable yet.
        #expect(try JobQueue.claim(db, owner: "w", leaseSeconds: 30) == nil)
        try db.execute("UPDATE isomine.jobs SET run_after = now() WHERE id = \(id)")
        let b = try #require(try JobQueue.claim(db, owner: "w", leaseSeconds: 30))
        #expect(try JobQueue.fail(db, b, owner: "w", error: "disk full", permanent: false) == .dead)
        #expect(try db.execute("SELECT last_error FROM isomine.jobs WHERE id = \(id)").string(0, "last_error") == "disk full")
    }
}
