// `isomine jobs …`, `isomine metrics` and `isomine report`: reading and tending the jobs in PostgreSQL.
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

struct Jobs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, show, cancel and retry jobs in PostgreSQL.",
        subcommands: [List.self, Show.self, Cancel.self, Retry.self, Prune.self])

    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete ended jobs older than a duration, with their events, metrics, checkpoints, artifacts, report rows and sent webhook deliveries.",
            discussion: "Only succeeded, failed, cancelled and dead jobs (never queued or running; a sweep stays while any of its runs is active), in batches of --batch rows per transaction. Prints how many jobs were removed. Report pages on disk are left alone.")
        @Option(help: "Age since the job ended: a number and a unit, s, m, h, d or w (e.g. 30d).")
        var olderThan: String
        @Option(help: "Only this ended state (repeatable): succeeded, failed, cancelled, dead. Default: all four.")
        var state: [String] = []
        @Option(help: "Jobs deleted per transaction.")
        var batch = 1000

        func validate() throws {
            _ = try pruneAge(olderThan, example: "30d")
            for s in state where !Pruning.endedStates.contains(s) {
                throw ValidationError("--state: '\(s)' is not an ended state; expected one of \(Pruning.endedStates.joined(separator: ", "))")
            }
            try pruneBatch(batch)
        }

        func run() throws {
            try CLIError.reporting {
                let n = try Pruning.prune(try Database.connect(), olderThan: try pruneAge(olderThan, example: "30d"),
                                          states: state.isEmpty ? Pruning.endedStates : state, batch: batch)
                print("pruned \(n) jobs")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Jobs, newest first (a sweep's runs show their sweep's id under parent).")
        @Option(help: "Only this state: queued, running, succeeded, failed, cancelled, dead.")
        var state: String?
        @Option(help: "Only the runs of this sweep.")
        var parent: Int?
        @Flag(help: "Leave out the runs of sweeps (jobs with a parent).")
        var hideRuns = false
        @Option(help: "At most this many.")
        var limit = 50

        func run() throws {
            try CLIError.reporting {
                let db = try Database.connect()
                let rows = try JobQueue.list(db, state: state, parent: parent, hideRuns: hideRuns, limit: limit)
                let header = ["id", "kind", "queue", "state", "attempt", "priority", "parent", "created", "verdict", "progress", "name"]
                let body = rows.map { j in
                    [String(j.id), j.kind.rawValue, j.queue, j.state.rawValue, j.attempts, String(j.priority), j.parent, j.created, j.verdict, j.progress, j.name]
                }
                print(TextTable.render([header] + body), terminator: "")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One job as JSON (spec, state, attempts, last error, result; a sweep also shows how many of its runs are in each state).")
        @Argument var id: Int
        @Flag(help: "For a finished sweep: print its per-cell table (collapse rate, P@1, collapse warnings) and the warning summaries instead of the JSON.")
        var cells = false

        func run() throws {
            try CLIError.reporting {
                let db = try Database.connect()
                guard let text = try JobQueue.show(db, id: id) else { throw RunError("job \(id) does not exist") }
                let job = try JSONValue.parse(Data(text.utf8))
                if cells {
                    guard let result = job["result"], result["kind"] == .string("sweep") else {
                        throw RunError("job \(id) is not a finished sweep; --cells needs one")
                    }
                    let sweep = try JSONDecoder().decode(SweepResult.self, from: try result.serialized(pretty: false))
                    print(SweepTable.render(sweep), terminator: "")
                } else {
                    print(String(decoding: try job.serialized(), as: UTF8.self))
                }
            }
        }
    }

    struct Retry: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Queue a failed, dead or cancelled job again with fresh attempts (a sweep: with its failed, dead or cancelled runs).")
        @Argument var id: Int

        func run() throws {
            try CLIError.reporting {
                let db = try Database.connect()
                guard try JobQueue.retry(db, id: id) else { throw RunError("job \(id) does not exist or is not failed, dead or cancelled") }
                print("queued \(id)")
            }
        }
    }

    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a queued or running job (a running one stops between steps; a sweep cancels its runs).")
        @Argument var id: Int

        func run() throws {
            try CLIError.reporting {
                let db = try Database.connect()
                guard try JobQueue.cancel(db, id: id) else { throw RunError("job \(id) does not exist or has already ended") }
                print("cancelled \(id)")
            }
        }
    }
}

struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "metrics", abstract: "A job's metric rows (step, name, value), as written at each evaluation.")

    @Argument var id: Int

    @Option(help: "Only this metric (e.g. precision_at_1, d_iso_upper).")
    var name: String?

    func run() throws {
        try CLIError.reporting {
            let db = try Database.connect()
            let rows = try JobQueue.metrics(db, id: id, name: name)
            // As PostgreSQL prints a double: shortest round-trip digits, integers without ".0".
            let body = rows.map { [String($0.step), $0.name, $0.value == $0.value.rounded() && abs($0.value) < 1e15 ? String(Int($0.value)) : String($0.value)] }
            print(TextTable.render([["step", "name", "value"]] + body), terminator: "")
        }
    }
}

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Render a job's HTML report again (and the index page) under ISOMINE_REPORTS_ROOT.",
        discussion: "Writes ISOMINE_REPORTS_ROOT/job-ID/index.html (default root ./reports) from the job's row and artifacts, records its sha256 in isomine.reports and rewrites ISOMINE_REPORTS_ROOT/index.html; a series step's series page (series-NAME/index.html) is rewritten too. The worker does this by itself when a job ends; use this after changing the root or to report a job that is still running.")

    @Argument(help: "The job id.")
    var id: Int?

    @Flag(help: "Every job (newest 1000), instead of one.")
    var all = false

    func run() throws {
        try CLIError.reporting {
            guard (id == nil) == all else { throw ValidationError("give a job id or --all") }
            let db = try Database.connect()
            let publisher = try ReportPublisher.fromEnvironment()
            let ids = try id.map { [$0] } ?? JobQueue.recentIDs(db, limit: 1000)
            var series = [String]()
            for id in ids {
                let report = try publisher.publish(db, jobID: id)
                print("\(report.fullPath)  sha256 \(report.sha256)")
                if let name = try SeriesStore.seriesOf(db, job: id), !series.contains(name) { series.append(name) }
            }
            for name in series { print(try publisher.publishSeries(db, name: name)) }
            try publisher.publishIndex(db)
            print("index: \(publisher.root.path)/index.html")
        }
    }
}

/// `--older-than` of the prune commands in seconds, or an error naming the flag (with an example).
func pruneAge(_ text: String, example: String) throws -> Double {
    guard let seconds = Pruning.seconds(text) else {
        throw ValidationError("--older-than: '\(text)' is not a duration; write a positive number and a unit (s, m, h, d, w), e.g. \(example)")
    }
    return seconds
}

/// `--batch` of the prune commands: at least 1.
func pruneBatch(_ batch: Int) throws {
    guard batch >= 1 else { throw ValidationError("--batch: must be at least 1") }
}
