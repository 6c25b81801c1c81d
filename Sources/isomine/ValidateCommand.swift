// `isomine validate SPEC`: check a spec (and its data) without running it.
import Console
import Postgres
import ArgumentParser
import Foundation
import Jobs
import Queue

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a job spec and its dataset without running it.",
        discussion: "Prints the normalised spec on success. Exit status 2 and one line naming the field on error.")

    @Argument(help: "Path of the job spec (JSON).")
    var spec: String

    @Flag(name: .long, help: "Check the spec only; do not load the dataset.")
    var noData = false

    @OptionGroup var logging: LoggingOptions

    func run() throws {
        let logger = try logging.bootstrap()
        // Stored inputs (dataset types stored, stored_csv) are read from DATABASE_URL when it is set.
        let inputs = ProcessInfo.processInfo.environment[PGConnector.environmentVariable].map { DatabaseInputs(PGConnector(conninfo: $0)) }
        let runner = Runner(logger: logger, inputs: inputs, baselines: inputs)
        try CLIError.reporting {
            let job = try JobSpec.load(path: spec)
            if !noData, case .train(let t) = job {
                let prepared = try runner.prepare(t)
                print("ok: train job on \(prepared.summary.name) (\(prepared.summary.trainRows) train / \(prepared.summary.testRows) test rows, \(prepared.summary.classes) classes)")
            } else if !noData, case .analyze(let a) = job {
                let data = try runner.prepare(a)
                print("ok: analyze job on \(data.name) (\(data.count) rows, \(data.features.cols) dimensions, \(Set(data.labels).count) classes)")
            } else if !noData, case .sweep(let sweep) = job {
                // Every run's data checks (classes per batch against the split, file paths) before anything is queued.
                for child in sweep.children {
                    do {
                        _ = try runner.prepare(child.spec)
                    } catch let e as SpecError {
                        throw SpecError(path: e.path, "\(e.message) (in the run \(child.spec.name ?? String(child.index)))")
                    }
                }
                print("ok: sweep of \(sweep.children.count) train runs in \(sweep.cellCount) cells" + (sweep.replicateAxis.map { ", repeated over \($0)" } ?? ""))
            } else {
                print("ok")
            }
            print(String(decoding: try job.json.serialized(), as: UTF8.self))
        }
    }
}
