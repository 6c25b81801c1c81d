// isomine.enqueue, the SQL entry point of the queue: ids, the notification workers wake on,
// unique keys and per-kind attempt limits.
import Foundation
import Testing
import TestSupport
@testable import Postgres

@Suite struct EnqueueTests {
    @Test func enqueueReturnsAnIdNotifiesAndDedupes() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connect()
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
}
