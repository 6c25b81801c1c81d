// `isomine enqueue`: a validated spec into the queue.
import Console
import ArgumentParser
import Foundation
import Postgres
import Queue
import Webhooks
import Workers
import Jobs
import Datasets
import Reports

struct Enqueue: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a spec and queue it in PostgreSQL; prints the job id.",
        discussion: "SQL does the same: SELECT isomine.enqueue('train', '{...}'::jsonb, priority => 0, run_after => now(), unique_key => NULL, max_attempts => NULL, queue => NULL);")

    @Argument(help: "Job kind: train, analyze or sweep.")
    var kind: String

    @Argument(help: "Path of the job spec (JSON).")
    var spec: String

    @Option(help: "Higher runs first.")
    var priority = 0

    @Option(help: "Not before this time (a PostgreSQL timestamptz, e.g. '2026-12-01 09:00+00').")
    var runAfter: String?

    @Option(help: "Deduplicate: while a queued or running job holds this key, return its id instead.")
    var uniqueKey: String?

    @Option(help: "Attempts before the job is dead (default by kind: train 3, analyze 2, sweep 1; a sweep's runs get train's 3).")
    var maxAttempts: Int?

    @Option(help: "The queue (default: the spec's queue, else 'default'); workers serve the queues they are given with --queues.")
    var queue: String?

    @Flag(help: "Do not check that the spec's data files exist under ISOMINE_DATA_ROOT here (when only the workers hold them).")
    var noFileCheck = false

    func validate() throws {
        if let maxAttempts, maxAttempts < 1 { throw ValidationError("--max-attempts: must be at least 1") }
        if let queue, !SpecLimits.isQueueName(queue) {
            throw ValidationError("--queue: '\(queue)' is not a queue name; use 1 to 63 of a-z, 0-9, _ . - starting with a letter or digit")
        }
    }

    func run() throws {
        try CLIError.reporting {
            let job = try JobSpec.load(path: spec)
            guard case .string(let specKind)? = job.json["kind"], specKind == kind else {
                let specKind: String
                if case .string(let k)? = job.json["kind"] { specKind = k } else { specKind = "?" }
                throw SpecError(path: "spec.kind", "is '\(specKind)', but the command enqueues '\(kind)'")
            }
            if !noFileCheck {
                // A missing file would fail the job for good on the worker: say so now.
                let root = DataRoot.fromEnvironment()
                switch job {
                case .train(let t): try t.dataset.checkFilesExist(dataRoot: root, field: "spec.dataset")
                case .analyze(let a): try a.dataset.checkFilesExist(dataRoot: root, field: "spec.dataset")
                case .sweep(let s): for child in s.children { try child.spec.dataset.checkFilesExist(dataRoot: root, field: "spec.base.dataset") }
                }
            }
            let text = try JSONValue.parse(try Data(contentsOf: URL(fileURLWithPath: spec))).compactText()
            let db = try Database.connect()
            print(try JobQueue.enqueue(db, kind: kind, spec: text, priority: priority, runAfter: runAfter, uniqueKey: uniqueKey,
                                       maxAttempts: maxAttempts, queue: queue))
        }
    }
}
