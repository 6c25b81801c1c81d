// The worker process: SIGTERM checkpoints and releases the running job, which a later worker finishes.
import Foundation
import TestSupport
import Testing
import Jobs
@testable import Postgres
@testable import Queue
@testable import Webhooks
@testable import Workers

@Suite struct ShutdownTests {
    /// A SIGTERM that arrives while a worker starts is never lost: the worker ends within seconds
    /// (exit 0 once its handler is installed, killed by the signal before that) and never runs on
    /// deaf to it. (Ignoring the signal until a dispatch source registered lost it in that window.)
    @Test func stopSignalWhileStartingIsNeverLost() throws {
        for delayMs in [0, 1, 3, 6, 10, 20, 40, 80, 160] {
            let worker = try IsomineBinary.start(["worker", "--poll-seconds", "0.2"], database: "nowhere",
                                          environment: ["DATABASE_URL": "host=/tmp/isomine-no-such-socket-dir port=5999 dbname=nowhere"])
            usleep(useconds_t(delayMs * 1000))
            kill(worker.processIdentifier, SIGTERM)
            try worker.wait(within: 20)
            #expect(worker.terminationStatus == 0 || worker.terminationStatus == 128 + SIGTERM, "after \(delayMs) ms: status \(worker.terminationStatus)")
        }
    }

    @Test func sigtermReleasesTheJobWhichResumesLater() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let spec = #"{"kind":"train","dataset":{"type":"blobs","classes":4,"per_class":30,"dim":4},"model":{"hidden":[32],"embedding_dim":4},"sampler":{"classes_per_batch":4,"samples_per_class":4},"steps":400000,"eval_every":400000,"estimators":{"enabled":false}}"#
        let id = try JobQueue.enqueue(db, kind: "train", spec: spec)
        let worker = try IsomineBinary.start(["worker"], database: scratch.name)
        // Wait until it has trained a step (its progress says so; on a loaded machine the job process can
        // take more than a second to get there), then a moment more.
        let deadline = Date().addingTimeInterval(60)
        while try db.execute("SELECT coalesce(phase_fraction, 0) > 0 AS trained FROM isomine.jobs WHERE id = \(id)").bool(0, "trained") != true
                && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
        }
        Thread.sleep(forTimeInterval: 0.5)
        worker.terminate()  // SIGTERM
        try worker.wait()
        #expect(worker.terminationStatus == 0)
        let row = try db.execute("SELECT state, attempt FROM isomine.jobs WHERE id = \(id)")
        #expect(try row.string(0, "state") == "queued" && row.int(0, "attempt") == 0)
        let step = try #require(try db.execute("SELECT step FROM isomine.checkpoints WHERE job_id = \(id)").int(0, "step"))
        #expect(step > 0)
        #expect(try db.execute("SELECT count(*) AS n FROM isomine.job_events WHERE job_id = \(id) AND type = 'job.released'").int(0, "n") == 1)
        // A second worker resumes from that checkpoint: stopped again after ~200 more steps, its
        // checkpoint is beyond the first one (a restart from scratch would be near 200).
        var polls = 0
        let second = Worker(db: db, owner: "second", runner: Runner(), shuttingDown: { polls += 1; return polls > 200 })
        // In-process, so the shutdown flag is polled once per step (a child process is tested above).
        second.childExecutable = nil
        #expect(try second.runOne() == id)
        let again = try #require(try db.execute("SELECT step FROM isomine.checkpoints WHERE job_id = \(id)").int(0, "step"))
        #expect(again > step && again <= step + 200, "first checkpoint \(step), second \(again)")
        let events = try db.execute("SELECT type FROM isomine.job_events WHERE job_id = \(id) ORDER BY id")
        #expect(try events.column("type", as: String.self) == ["job.enqueued", "job.started", "job.released", "job.started", "job.released"])
        #expect(try db.execute("SELECT attempt FROM isomine.jobs WHERE id = \(id)").int(0, "attempt") == 0)
    }
}

@Suite struct GracePeriodTests {
    @Test func jobThatCannotStopIsReleasedWhenTheGracePeriodEnds() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        // An analysis has no steps to stop at (this one runs for minutes).
        let spec = #"{"kind":"analyze","dataset":{"type":"blobs","classes":10,"per_class":100,"dim":16},"iterations":3000}"#
        let id = try JobQueue.enqueue(db, kind: "analyze", spec: spec)
        let worker = try IsomineBinary.start(["worker", "--grace-seconds", "1"], database: scratch.name)
        let deadline = Date().addingTimeInterval(30)
        while try state(db, id) != "running" && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        Thread.sleep(forTimeInterval: 0.5)
        let sent = Date()
        worker.terminate()
        try worker.wait()
        #expect(worker.terminationStatus == 0)
        #expect(Date().timeIntervalSince(sent) < 10)
        let row = try db.execute("SELECT state, attempt, lease_owner FROM isomine.jobs WHERE id = \(id)")
        #expect(try row.string(0, "state") == "queued" && row.int(0, "attempt") == 0 && row.string(0, "lease_owner") == nil)
        #expect(try count(db, "SELECT count(*) AS n FROM isomine.job_events WHERE job_id = \(id) AND type = 'job.released'") == 1)
    }
}

@Suite struct KillTests {
    @Test func killedWorkerIsRescuedAndTheResumedJobEndsLikeAnUninterruptedRun() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let spec = #"{"kind":"train","dataset":{"type":"blobs","classes":8,"per_class":40,"dim":32},"model":{"hidden":[512,512],"embedding_dim":16},"sampler":{"classes_per_batch":8,"samples_per_class":16},"steps":1500,"eval_every":500,"checkpoint_every":100,"estimators":{"iterations":5,"probe_size":40}}"#
        let id = try JobQueue.enqueue(db, kind: "train", spec: spec)
        let worker = try IsomineBinary.start(["worker", "--lease-seconds", "3"], database: scratch.name)
        let deadline = Date().addingTimeInterval(60)
        var checkpointStep: Int?
        while checkpointStep == nil && Date() < deadline {
            let rows = try db.execute("SELECT step FROM isomine.checkpoints WHERE job_id = \(id)")
            checkpointStep = rows.count == 1 ? try rows.int(0, "step") : nil
            Thread.sleep(forTimeInterval: 0.02)
        }
        kill(worker.processIdentifier, SIGKILL)
        try worker.wait()
        let step = try #require(checkpointStep)
        #expect(try db.execute("SELECT state FROM isomine.jobs WHERE id = \(id)").string(0, "state") == "running")
        // Another worker, after the lease expired: rescues, resumes from the checkpoint, finishes.
        Thread.sleep(forTimeInterval: 3.5)
        #expect(try Worker(db: db, owner: "second", runner: Runner()).runOne() == id)
        let row = try db.execute("SELECT state, attempt, result::text AS result FROM isomine.jobs WHERE id = \(id)")
        #expect(try row.string(0, "state") == "succeeded" && row.int(0, "attempt") == 2)
        var resumed = try JSONValue.parse(Data(try #require(try row.string(0, "result")).utf8))
        #expect(resumed["resumed_from_step"].map { $0 != .null } == true, "resumed from \(step)")
        // The same spec run uninterrupted in-process ends with the same numbers.
        guard case .finished(let whole) = try Runner().run(try JobSpec.parse(Data(spec.utf8)), sink: MemorySink()) else {
            Issue.record("uninterrupted run stopped"); return
        }
        var reference = try JSONValue.from(whole)
        for key in ["timing", "resumed_from_step"] {
            if case .object(var o) = resumed { o[key] = nil; resumed = .object(o) }
            if case .object(var o) = reference { o[key] = nil; reference = .object(o) }
        }
        #expect(resumed == reference)
        let metricRows = try db.execute("SELECT count(*) AS n, count(DISTINCT (name, step)) AS d FROM isomine.metrics WHERE job_id = \(id)")
        #expect(try metricRows.int(0, "n") == metricRows.int(0, "d"))
    }
}
