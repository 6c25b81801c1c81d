// `isomine status`: the queue at a glance for an operator.
import Console
import ArgumentParser
import Foundation
import Operations
import Postgres
import Queue
import Webhooks
import Workers

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Queue depth by queue and state, the oldest queued job, scheduled and retryable jobs, live workers and what they run, failing webhook endpoints.",
        discussion: "A worker is live when it refreshed its registry row within the last 60 s. --json prints the same as one object: counts[{queue, state, jobs}], oldest_queued{id, queue, waiting_seconds}, scheduled, retryable, workers[{id, host, pid, queues, concurrency, last_seen_seconds_ago, running}], failing_endpoints[{id, url (credentials masked), enabled, disabled_reason, dead, retrying}].")

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        try CLIError.reporting {
            let s = try QueueStatus.load(try Database.connect())
            if json {
                let encoder = JSONEncoder()
                encoder.keyEncodingStrategy = .convertToSnakeCase
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(StatusJSON(s)), as: UTF8.self))
                return
            }
            print("jobs by queue and state")
            if s.counts.isEmpty { print("  (none)") } else {
                print(TextTable.render([["queue", "state", "jobs"]] + s.counts.map { [$0.queue, $0.state.rawValue, String($0.jobs)] }), terminator: "")
            }
            if let o = s.oldestQueued {
                print("oldest queued: job \(o.id) in \(o.queue), waiting \(Int(o.waitingSeconds)) s")
            } else {
                print("oldest queued: none")
            }
            print("scheduled (run_after in the future): \(s.scheduled)   waiting for a retry: \(s.retryable)")
            print("live workers: \(s.workers.count)")
            for w in s.workers {
                print("  \(w.id)  queues \(w.queues.joined(separator: ","))  slots \(w.concurrency)  seen \(Int(w.lastSeenSecondsAgo)) s ago  running \(w.running.isEmpty ? "nothing" : w.running.map(String.init).joined(separator: ", "))")
            }
            print("failing webhook endpoints: \(s.failingEndpoints.count)")
            for e in s.failingEndpoints {
                print("  \(e.id)  \(e.url)  \(e.enabled ? "enabled" : "disabled" + (e.disabledReason.map { " (\($0))" } ?? ""))  dead \(e.dead)  retrying \(e.retrying)")
            }
        }
    }
}

/// `QueueStatus` as the --json object.
private struct StatusJSON: Encodable {
    var counts: [QueueStatus.Count]
    var oldestQueued: QueueStatus.Oldest?
    var scheduled: Int
    var retryable: Int
    var workers: [QueueStatus.LiveWorker]
    var failingEndpoints: [QueueStatus.FailingEndpoint]

    init(_ s: QueueStatus) {
        counts = s.counts
        oldestQueued = s.oldestQueued
        scheduled = s.scheduled
        retryable = s.retryable
        workers = s.workers
        failingEndpoints = s.failingEndpoints
    }

    enum CodingKeys: String, CodingKey { case counts, oldestQueued, scheduled, retryable, workers, failingEndpoints }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(counts, forKey: .counts)
        // Present as null when the queue is empty, so readers need not test for the key.
        try c.encode(oldestQueued, forKey: .oldestQueued)
        try c.encode(scheduled, forKey: .scheduled)
        try c.encode(retryable, forKey: .retryable)
        try c.encode(workers, forKey: .workers)
        try c.encode(failingEndpoints, forKey: .failingEndpoints)
    }
}
