// `isomine bench series-step`: how soon a series step's provisional verdict is on its job row, and its
// final verdict, for digits-sized checkpoints run the way a worker runs them (one job process each).
import ArgumentParser
import Console
import Datasets
import Dispatch
import Foundation
import Jobs
import Linalg
import Logging
import Postgres
import Queue
import Vocabulary
import Workers

struct SeriesStepBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "series-step",
        abstract: "Seconds from a series step's start to its provisional verdict and to its final verdict (DATABASE_URL), digits-sized checkpoints.",
        discussion: "It migrates, submits --steps checkpoints of one series (the first --rows rows of the builtin digits set, 64 features, each step shrunk further toward its class means and the origin) and runs them one at a time in job processes as a worker does, then prints each step's provisional_seconds (provisional_at − started_at on its row), final_seconds (finished_at − started_at) and both verdicts, with the median and largest of each. The series and its jobs are deleted at the end.")

    @Option(help: "Checkpoints submitted.")
    var steps = 6

    @Option(help: "Rows of the digits set per checkpoint.")
    var rows = 540

    func run() throws {
        try CLIError.reporting {
            guard (2...50).contains(steps), (20...1797).contains(rows) else { throw RunError("--steps must be 2…50 and --rows 20…1797") }
            let db = try Database.connect()
            try Migrator.migrate(db)
            let digits = try BuiltinDatasets.digits()
            let labels = Array(digits.labels.prefix(rows))
            let base = digits.features.rows(Array(0..<rows)).converted(to: Double.self)
            var means = [Int: [Double]](), counts = [Int: Double]()
            for r in 0..<rows {
                means[labels[r], default: Array(repeating: 0, count: base.cols)] = zip(means[labels[r]] ?? Array(repeating: 0, count: base.cols), base.row(r)).map(+)
                counts[labels[r], default: 0] += 1
            }
            let series = "bench-\(UUID().uuidString.prefix(8).lowercased())"
            defer { try? SeriesStore.delete(db, name: series) }
            for step in 0..<steps {
                // Step k: the points pulled toward their class mean by t and the whole set shrunk by (1 − t)².
                let t = Double(step) / Double(steps)
                var x = base
                for r in 0..<rows {
                    let mean = means[labels[r]]!.map { $0 / counts[labels[r]]! }
                    for c in 0..<x.cols { x[r, c] = ((1 - t) * base[r, c] + t * mean[c]) * (1 - t) * (1 - t) / 16 }
                }
                _ = try SeriesStore.submit(db, series: series, step: step, embeddings: NPYWriter.encode(x), labels: NPYWriter.encode(labels: labels),
                                           options: .object(["margin": .number(0.2)]))
            }
            var quiet = Logger(label: "isomine.bench")
            quiet.logLevel = .warning
            let worker = Worker(db: db, owner: "bench", runner: Runner(logger: quiet), logger: quiet)
            worker.childExecutable = Worker.defaultChildExecutable
            var ran = 0
            while ran < steps, try worker.runOne() != nil { ran += 1 }
            let measured = try SeriesStore.stepTimes(db, name: series)
            func summary(_ values: [Double]) -> JSONValue {
                let v = values.sorted()
                return v.isEmpty ? .null : .object(["median": .number(v[v.count / 2]), "max": .number(v.last!)])
            }
            let out: JSONValue = .object([
                "benchmark": .string("series-step"), "rows": .number(Double(rows)), "dim": .number(Double(base.cols)),
                "threads_per_job": .number(Double(Runner.threadShare(concurrency: 1))),
                "provisional_seconds": summary(measured.compactMap(\.provisionalSeconds)),
                "final_seconds": summary(measured.compactMap(\.finalSeconds)),
                "steps": .array(measured.map { r in
                    .object(["step": .number(Double(r.step)), "provisional_seconds": r.provisionalSeconds.map { .number($0) } ?? .null,
                             "final_seconds": r.finalSeconds.map { .number($0) } ?? .null,
                             "provisional": r.provisional.map { .string($0) } ?? .null, "final": r.final.map { .string($0) } ?? .null])
                }),
            ])
            print(String(decoding: try out.serialized(), as: UTF8.self))
        }
    }
}
