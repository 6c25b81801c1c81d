// Jobs in child processes, heartbeats from beside them, writes fenced by the lease: the faults seen
// when the worker ran jobs on its own threads and heartbeated only from training steps.
import Foundation
import TestSupport
import Testing
import Jobs
import Datasets
import Logging
@testable import Postgres
@testable import Queue
@testable import Webhooks
@testable import Workers

@Suite struct IsolationTests {
    /// A job process that cannot read its job row while the database answers — a schema the binary does
    /// not match: here a column its read names, renamed after the claim — fails the attempt, saying
    /// why, instead of reporting the database lost and having the job given back and claimed again for
    /// ever (what it did); with one attempt the job ends dead.
    @Test func aJobProcessThatCannotReadItsRowFailsTheAttemptWithTheReason() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let id = try JobQueue.enqueue(db, kind: "train", spec: quickTrain, maxAttempts: 1)
        let worker = Worker(db: db, owner: "w", runner: Runner())
        let job = try #require(try JobQueue.claim(db, owner: "w", leaseSeconds: 60, queues: ["default"]))
        #expect(job.id == id)
        try db.execute("ALTER TABLE isomine.jobs RENAME COLUMN series_step TO series_step_moved")
        let keeper = LeaseKeeper(job: job, owner: "w", leaseSeconds: 60, database: db.connector, logger: Logger(label: "test"))
        try worker.supervise(job, executable: IsomineBinary.path, keeper: keeper)
        keeper.stop()
        try db.execute("ALTER TABLE isomine.jobs RENAME COLUMN series_step_moved TO series_step")
        let row = try db.execute("SELECT state, attempt, last_error FROM isomine.jobs WHERE id = \(id)")
        #expect(try row.string(0, "state") == "dead" && row.int(0, "attempt") == 1, "\(row)")
        let error = try row.string(0, "last_error") ?? ""
        #expect(error.hasPrefix("the job process could not start the job: error: job \(id):") && error.contains("series_step"), "\(error)")
    }

    /// What the job process counts as the database gone (the job given back, no attempt used) and what
    /// as its own failure to start the job (the attempt failed).
    @Test func theJobProcessTellsALostDatabaseFromAJobItCannotStart() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        #expect(JobProcess.lostTheDatabase(PGError(.connection, "no route"), connection: nil))
        // Not the database's error, before any connection (a logger that cannot be made): the attempt fails.
        #expect(!JobProcess.lostTheDatabase(TestSetupError("no log file"), connection: nil))
        #expect(JobProcess.lostTheDatabase(PGError(.connection, "server closed the connection"), connection: db))
        #expect(JobProcess.lostTheDatabase(PGError(.server(sqlstate: "57P01"), "terminating connection due to administrator command"), connection: db))
        #expect(JobProcess.lostTheDatabase(PGError(.server(sqlstate: "08006"), "connection failure"), connection: db))
        #expect(!JobProcess.lostTheDatabase(PGError(.server(sqlstate: "42703"), "column does not exist"), connection: db))
        #expect(!JobProcess.lostTheDatabase(PGError(.decoding, "missing column label"), connection: db))
        #expect(!JobProcess.lostTheDatabase(TestSetupError("no page templates"), connection: db))
    }

    /// An analysis and a train job whose evaluations each outlast the lease several times over, with two
    /// workers and a 3 s lease: each runs once (one start, attempt 1, no rescue) and succeeds.
    @Test func longAnalysisAndLongEvaluationRunExactlyOnceWithAShortLease() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let analysis = try JobQueue.enqueue(db, kind: "analyze", spec: #"{"kind":"analyze","dataset":{"type":"blobs","classes":10,"per_class":40,"dim":16,"separation":0.3},"iterations":900}"#)
        let train = try JobQueue.enqueue(db, kind: "train", spec: #"{"kind":"train","dataset":{"type":"blobs","classes":10,"per_class":40,"dim":16,"separation":0.3},"split":{"by":"instance","test_fraction":0.9},"model":{"hidden":[16],"embedding_dim":8},"sampler":{"classes_per_batch":4,"samples_per_class":4},"steps":20,"eval_every":10,"estimators":{"iterations":800,"final_iterations":800}}"#)
        // Both workers stay up for the whole run (not --exit-when-idle: an idle second worker would leave
        // before the lease could expire, and never rescue the busy job, which is the fault).
        let workers = try (0..<2).map { _ in try IsomineBinary.start(["worker", "--lease-seconds", "3", "--poll-seconds", "0.2"], database: scratch.name) }
        defer { for w in workers { w.stop() } }
        #expect(try waitUntil(180) {
            try count(db, "SELECT count(*) AS n FROM isomine.jobs WHERE state IN ('succeeded', 'failed', 'dead', 'cancelled')") == 2
        })
        // A few more lease periods: a wrongly rescued copy would show up as a second start.
        Thread.sleep(forTimeInterval: 4)
        for w in workers { w.terminate(); try w.wait(within: 120) }
        for id in [analysis, train] {
            let row = try db.execute("SELECT state, attempt, extract(epoch FROM finished_at - started_at) AS seconds FROM isomine.jobs WHERE id = \(id)")
            #expect(try row.string(0, "state") == "succeeded" && row.int(0, "attempt") == 1, "job \(id): \(row)")
            // The case only tests something if the job outlasted its lease.
            let seconds = Double(try row.string(0, "seconds") ?? "0") ?? 0
            #expect(seconds > 4, "job \(id) ran \(seconds) s: not clearly longer than its lease")
            #expect(try count(db, "SELECT count(*) AS n FROM isomine.job_events WHERE job_id = \(id) AND type = 'job.started'") == 1)
            #expect(try count(db, "SELECT count(*) AS n FROM isomine.job_events WHERE job_id = \(id) AND type IN ('job.rescued', 'job.dead')") == 0)
        }
    }

    /// A job that needs more memory than --job-memory fails with a clear error; a train job running
    /// beside it in the same worker succeeds on its first attempt, and the worker goes on.
    @Test func memoryBombEndsItsJobOnly() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        // Two classes of 15,000: PML's k is 14,999 neighbours for each of 30,000 points (1.8 GB of indices), over the 600 MiB limit.
        let bomb = try JobQueue.enqueue(db, kind: "analyze", spec: #"{"kind":"analyze","dataset":{"type":"blobs","classes":2,"per_class":15000,"dim":8},"iterations":3}"#, maxAttempts: 1)
        let train = try JobQueue.enqueue(db, kind: "train", spec: #"{"kind":"train","dataset":{"type":"blobs","classes":4,"per_class":30,"dim":4},"model":{"hidden":[16],"embedding_dim":4},"sampler":{"classes_per_batch":4,"samples_per_class":4},"steps":3000,"eval_every":1000,"estimators":{"enabled":false}}"#)
        let worker = try IsomineBinary.start(["worker", "--concurrency", "2", "--job-memory", "600MiB", "--exit-when-idle"], database: scratch.name)
        defer { worker.stop() }
        try worker.wait()
        #expect(worker.terminationStatus == 0)
        let row = try db.execute("SELECT state, last_error FROM isomine.jobs WHERE id = \(bomb)")
        #expect(try row.string(0, "state") == "failed")
        let error = try row.string(0, "last_error") ?? "nil"
        #expect(error.hasPrefix("exceeded the memory limit of 600 MiB"), "\(error)")
        let ok = try db.execute("SELECT state, attempt FROM isomine.jobs WHERE id = \(train)")
        #expect(try ok.string(0, "state") == "succeeded" && ok.int(0, "attempt") == 1)
    }

    /// An NPY file that would not fit in the job's memory limit is refused before it is read, naming
    /// the memory it needs and the limit (the file is sparse: its size is real, its blocks are not).
    @Test func anInputLargerThanTheJobsMemoryIsRefusedBeforeReading() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let folder = TempFolder("big"), root = folder.url
        let rows = 100_000, dim = 512
        let head = NPYWriter.header(descr: "<f4", shape: [rows, dim])
        _ = FileManager.default.createFile(atPath: root.path + "/x.npy", contents: Data(head))
        let handle = try FileHandle(forWritingTo: root.appendingPathComponent("x.npy"))
        try handle.truncate(atOffset: UInt64(head.count + rows * dim * 4))
        try handle.close()
        _ = FileManager.default.createFile(atPath: root.path + "/y.npy", contents: Data(NPYWriter.encode(labels: (0..<rows).map { $0 % 1000 })))
        let id = try JobQueue.enqueue(db, kind: "analyze", spec: #"{"kind":"analyze","dataset":{"type":"npy","features":"x.npy","labels":"y.npy"}}"#)
        let worker = try IsomineBinary.run(["worker", "--job-memory", "512MiB", "--exit-when-idle"], database: scratch.name, environment: ["ISOMINE_DATA_ROOT": root.path])
        #expect(worker.status == 0)
        let row = try db.execute("SELECT state, last_error FROM isomine.jobs WHERE id = \(id)")
        #expect(try row.string(0, "state") == "failed")
        let error = try row.string(0, "last_error") ?? "nil"
        #expect(error.hasPrefix("spec.dataset.features: the array (100000, 512) of float32 needs 195 MiB in memory, more than this job's memory limit of 512 MiB allows"), "\(error)")
    }

    /// A .csv.gz that inflates past the decompression limit, under the smallest --job-memory: the job
    /// fails with the limit's own error (inflation is streamed and counted before anything is kept),
    /// where it used to hold the whole limit twice over and die as "exceeded the memory limit".
    @Test func aGzipBombUnderTheJobsMemoryGetsTheLimitsError() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let folder = TempFolder("bomb"), root = folder.url
        // 310 MB of one short row, about 600 KB gzipped; the limit set to 300 MB for the test.
        let made = try runCommand("/usr/bin/python3", ["-c", """
            import zlib, sys
            chunk = b"0,0,0,0,0,0,0,1\\n" * 65536
            c = zlib.compressobj(9, zlib.DEFLATED, 31)
            with open(sys.argv[1], "wb") as f:
                for _ in range(310_000_000 // len(chunk) + 1):
                    f.write(c.compress(chunk))
                f.write(c.flush())
            """, root.appendingPathComponent("bomb.csv.gz").path])
        #expect(made.status == 0, "\(made.err)")
        let id = try JobQueue.enqueue(db, kind: "analyze", spec: #"{"kind":"analyze","dataset":{"type":"csv","path":"bomb.csv.gz"}}"#, maxAttempts: 1)
        let worker = try IsomineBinary.run(["worker", "--job-memory", "512MiB", "--exit-when-idle"], database: scratch.name,
                                    environment: ["ISOMINE_DATA_ROOT": root.path, "ISOMINE_MAX_DECOMPRESSED_BYTES": "300000000"])
        #expect(worker.status == 0)
        let row = try db.execute("SELECT state, last_error FROM isomine.jobs WHERE id = \(id)")
        #expect(try row.string(0, "state") == "failed")
        let error = try row.string(0, "last_error") ?? "nil"
        #expect(error.contains("'bomb.csv.gz': decompresses to more than 300000000 bytes, the limit (set ISOMINE_MAX_DECOMPRESSED_BYTES to raise it)"), "\(error)")
    }

    /// An NPY whose header declares (10¹⁰, 10¹⁰), enqueued by SQL: its job fails with an error naming the
    /// limit (it used to trap on integer overflow and take the worker down, at every attempt); a train job
    /// in the same worker succeeds on its first attempt.
    @Test func overflowingNPYFailsItsJobOnly() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let folder = TempFolder("npy"), root = folder.url
        let npy = NPYWriter.header(descr: "<f4", shape: [10_000_000_000, 10_000_000_000]) + [UInt8](repeating: 0, count: 64)
        try Data(npy).write(to: root.appendingPathComponent("huge.npy"))
        try Data(NPYWriter.encode(labels: [0, 1])).write(to: root.appendingPathComponent("labels.npy"))
        let bad = try db.execute("""
            SELECT isomine.enqueue('analyze', '{"kind":"analyze","dataset":{"type":"npy","features":"huge.npy","labels":"labels.npy"}}'::jsonb) AS id
            """).int(0, "id")!
        let train = try JobQueue.enqueue(db, kind: "train", spec: #"{"kind":"train","dataset":{"type":"blobs","classes":4,"per_class":30,"dim":4},"model":{"hidden":[16],"embedding_dim":4},"sampler":{"classes_per_batch":4,"samples_per_class":4},"steps":2000,"eval_every":1000,"estimators":{"enabled":false}}"#)
        let worker = try IsomineBinary.start(["worker", "--concurrency", "2", "--exit-when-idle"], database: scratch.name, environment: ["ISOMINE_DATA_ROOT": root.path])
        defer { worker.stop() }
        try worker.wait()
        #expect(worker.terminationStatus == 0)
        let row = try db.execute("SELECT state, attempt, last_error FROM isomine.jobs WHERE id = \(bad)")
        #expect(try row.string(0, "state") == "failed" && row.int(0, "attempt") == 1)
        #expect(try row.string(0, "last_error") == "spec.dataset.features: the array has 10000000000 feature columns, above the limit of 8192 (set ISOMINE_MAX_DIMENSION to raise it)")
        let ok = try db.execute("SELECT state, attempt FROM isomine.jobs WHERE id = \(train)")
        #expect(try ok.string(0, "state") == "succeeded" && ok.int(0, "attempt") == 1)
    }

    /// A copy of a job whose lease was taken over can no longer write metrics, artifacts, checkpoints,
    /// events or the result; a checkpoint never goes backwards.
    @Test func staleCopyCannotWrite() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let id = try JobQueue.enqueue(db, kind: "analyze", spec: quickAnalyze)
        let first = try #require(try JobQueue.claim(db, owner: "first", leaseSeconds: 60))
        let sink = StoreSink(db: db, job: first, owner: "first")
        try sink.saveArtifact("a.npy", [1, 2, 3])
        // The lease is rescued and the job claimed again by another worker.
        try db.execute("UPDATE isomine.jobs SET lease_expires = now() - interval '1 second' WHERE id = \(id)")
        try JobQueue.rescue(db)
        let second = try #require(try JobQueue.claim(db, owner: "second", leaseSeconds: 60))
        #expect(second.id == id && second.attempt == 2)
        #expect(throws: LeaseLost.self) { try sink.saveArtifact("a.npy", [9]) }
        #expect(try JobQueue.succeed(db, first, owner: "first", result: "{}") == false)
        let fresh = StoreSink(db: db, job: second, owner: "second")
        try fresh.saveArtifact("b.npy", [4])
        #expect(try count(db, "SELECT count(*) AS n FROM isomine.artifacts WHERE job_id = \(id) AND name = 'a.npy' AND data = '\\x010203'::bytea") == 1)
        // Cancelled: even the current owner stops writing.
        try JobQueue.cancel(db, id: id)
        #expect(throws: LeaseLost.self) { try fresh.saveArtifact("c.npy", [5]) }
    }
}
