// PostgreSQL itself restarted under a running worker: the worker reconnects, the job is rescued and
// resumes from its checkpoint, and completes. Uses a cluster of its own so the other tests' server
// is left alone.
import TestSupport
import Foundation
import Testing
import Jobs
@testable import Postgres
@testable import Queue
@testable import Webhooks
@testable import Workers

@Suite struct RestartTests {
    @Test func workerOutlivesAPostgreSQLRestartAndTheJobCompletes() throws {
        let cluster = try PrivateCluster()
        var db = try PGConnection(cluster.conninfo)
        try Migrator.migrate(db)
        let spec = #"{"kind":"train","dataset":{"type":"blobs","classes":4,"per_class":30,"dim":4},"model":{"hidden":[32],"embedding_dim":4},"sampler":{"classes_per_batch":4,"samples_per_class":4},"steps":1000000,"eval_every":250000,"checkpoint_every":20000,"estimators":{"enabled":false}}"#
        let id = try JobQueue.enqueue(db, kind: "train", spec: spec)
        let worker = try IsomineBinary.start(["worker", "--lease-seconds", "10", "--poll-seconds", "0.2"], database: "isomine",
                                      environment: ["DATABASE_URL": cluster.conninfo, "PGHOST": cluster.socket, "PGDATABASE": "isomine"])
        defer { worker.stop() }
        // Running, with a checkpoint written.
        var deadline = Date().addingTimeInterval(60)
        while try db.execute("SELECT step FROM isomine.checkpoints WHERE job_id = \(id)").count == 0 && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(try state(db, id) == "running")

        try cluster.run("stop")
        Thread.sleep(forTimeInterval: 1)
        try cluster.run("start")
        #expect(worker.isRunning)

        db = try PGConnection(cluster.conninfo)
        deadline = Date().addingTimeInterval(120)
        while try state(db, id) != "succeeded" && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        #expect(try state(db, id) == "succeeded")
        // It went on from a checkpoint (not from step 0); the restart did not use up an attempt: the job's
        // process lost its connection, and the worker gave the job back once the database answered.
        let row = try db.execute("SELECT attempt, (result->>'resumed_from_step')::integer AS resumed FROM isomine.jobs WHERE id = \(id)")
        #expect(try row.int(0, "attempt")! == 1)
        #expect(try row.int(0, "resumed")! > 0)
        #expect(try count(db, "SELECT count(*) AS n FROM isomine.job_events WHERE job_id = \(id) AND type = 'job.released'") >= 1)
        #expect(try count(db, "SELECT count(*) AS n FROM isomine.job_events WHERE job_id = \(id) AND type IN ('job.rescued', 'job.retrying')") == 0)
        // The worker is still in service: SIGTERM ends it cleanly.
        #expect(worker.isRunning)
        worker.terminate()
        try worker.wait()
        #expect(worker.terminationStatus == 0)
        withExtendedLifetime(cluster) {}
    }
}
