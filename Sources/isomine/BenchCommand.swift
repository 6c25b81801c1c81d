// `isomine bench trainer`: training speed on the reference config, as JSON.
import ArgumentParser
import Foundation
import Jobs
import Linalg
import Trainer

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks that print JSON.",
        subcommands: [TrainerBench.self])
}

struct TrainerBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trainer",
        abstract: "Steps/s of the reference config (digits, batch-hard, 64-256-256-64, P=8 K=16) and the GFLOP/s of its matrix products.",
        discussion: """
        Trains the reference config (deploy/examples/digits-batch-hard.json, embedded in the binary) and
        prints one JSON object: steps_per_second (training steps only), the final retrieval metrics, a
        per-phase breakdown of a step, and the same step's matrix products run alone (gflops, and the
        steps/s bound they set). Compare with the peer baseline:
          python pml_peer.py --csv digits.csv.gz --hidden 256,256 --dim 64 --miner batch-hard --P 8 --K 16 --steps 2000 --threads 1
        """)

    @Option(help: "Training steps.")
    var steps = 2000

    @Option(help: "OpenBLAS threads.")
    var blasThreads = 1

    @OptionGroup var logging: LoggingOptions

    func run() throws {
        let logger = try logging.bootstrap()
        try CLIError.reporting {
            guard steps >= 1 else { throw RunError("--steps: must be at least 1") }
            guard case .train(var spec) = try JobSpec.parse(Data(ReferenceSpec.json.utf8)) else { return }
            spec.training.steps = steps
            spec.training.evalEvery = steps
            spec.blasThreads = blasThreads
            let runner = Runner(logger: logger)
            let sink = MemorySink()
            guard case .finished(let result) = try runner.run(.train(spec), sink: sink) else { return }
            let prepared = try runner.prepare(spec)
            let profileRun = try TrainingRun(config: prepared.config, train: prepared.split.train, test: prepared.split.test)
            let phases = profileRun.profileSteps(min(steps, 500))
            let products = MatrixProductBenchmark.measure(shape: prepared.config.model, batch: prepared.config.batchSize, repeats: min(steps, 1000))
            let out: JSONValue = .object([
                "benchmark": .string("trainer"),
                "config": .string("digits-batch-hard reference"),
                "blas_threads": .number(Double(blasThreads)),
                "steps": .number(Double(steps)),
                "train_seconds": .number(result.timing.trainSeconds),
                "steps_per_second": .number(result.timing.stepsPerSecond),
                "final": try JSONValue.from(result.final.eval),
                "step_phases": try JSONValue.from(phases),
                "matrix_products": try JSONValue.from(products),
            ])
            print(String(decoding: try out.serialized(), as: UTF8.self))
        }
    }
}
