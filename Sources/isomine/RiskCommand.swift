// `isomine risk SPEC`: a train spec's collapse evidence at step 0, before anything trains.
import Console
import ArgumentParser
import CollapseRisk
import Foundation
import Jobs
import Linalg
import Specs
import Trainer

struct Risk: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure a train spec's step-0 collapse evidence (the mechanism ratio on its own batches).",
        discussion: """
            Builds the run's untrained network, draws 3 PK batches of its training split and prints, as one \
            JSON object per run (a sweep: one per run, with its index and params), the step-0 features: \
            mechanism_ratio (d_iso to the class-centroid collapse over the certified d_iso to the nearest \
            separated embedding found that keeps half the spread; above 1 a non-collapsed target certainly \
            exists), batch_over_dimension, gap_over_spread, learning_rate, optimizer, margin (α in the loss's \
            distance units; the train model reads it against the 0.2 it was calibrated at), first_step (the run's \
            fixed signal probe before and after its first training step, taken and undone: κ, spread, verdict, \
            spread_ratio); and collapse_risk: the calibrated risk in [0, 1], the threshold from which a run \
            warns at step 0, the run's miner, warns (true only at or over the threshold for a miner that \
            takes each anchor's hardest negative: batch-hard, easy-positive, hardest-triplet), and the reasons.
            """)

    @Argument(help: "Path of a train or sweep spec (JSON).")
    var spec: String

    @Option(name: .long, help: "f* descent iterations per start (0: chosen by batch size).")
    var iterations = 0

    @Option(name: .long, help: ArgumentHelp("Also measure after training to these steps (comma-separated, increasing; e.g. 4,8,16): the same features on batches the partly trained network embeds, one line per step with its `step`.", valueName: "steps"))
    var atSteps: String?

    @Flag(name: .long, help: "Print only each run's first_step (the probe before and after its first step, taken and undone): no f* search, so fast.")
    var firstStepOnly = false

    @OptionGroup var logging: LoggingOptions

    func run() throws {
        let logger = try logging.bootstrap()
        let runner = Runner(logger: logger)
        try CLIError.reporting {
            let runs: [(Int?, [String: JSONValue], TrainSpec)]
            switch try JobSpec.load(path: spec) {
            case .train(let t): runs = [(nil, [:], t)]
            case .sweep(let s):
                runs = s.children.map { ($0.index, $0.params(s.axes), $0.spec) }
            case .analyze: throw SpecError(path: "spec.kind", "risk reads a train or sweep spec, not an analyze spec")
            }
            let steps = try Risk.steps(atSteps)
            for (index, params, t) in runs {
                BLASThreads.set(t.threads(share: runner.threadShare))
                let prepared = try runner.prepare(t)
                let run = try TrainingRun(config: prepared.config, train: prepared.split.train, test: prepared.split.test)
                for step in [0] + steps {
                    // Training draws from its own stream, the features from theirs: the trajectory is the run's own.
                    while run.step < step {
                        guard run.trainStep().loss.isFinite else { throw TrainingError("training diverged before step \(step); lower optimizer.learning_rate") }
                    }
                    var object: [String: JSONValue]
                    if firstStepOnly {
                        object = ["first_step": try JSONValue.from(try FirstStep(run: run))]
                    } else {
                        let features = try StepZeroFeatures(run: run, iterations: iterations)
                        let risk = RiskModel.calibrated(for: features).estimate(features, miner: prepared.config.miner.rawValue)
                        object = ["features": try JSONValue.from(features), "collapse_risk": try JSONValue.from(risk)]
                    }
                    if let index { object["index"] = .number(Double(index)); object["params"] = .object(params) }
                    if !steps.isEmpty { object["step"] = .number(Double(step)) }
                    print(String(decoding: try JSONValue.object(object).serialized(pretty: false), as: UTF8.self))
                }
            }
        }
    }

    /// `--at-steps`: positive, strictly increasing step numbers.
    static func steps(_ list: String?) throws -> [Int] {
        guard let list else { return [] }
        let steps = try list.split(separator: ",", omittingEmptySubsequences: false).map { item -> Int in
            guard let n = Int(item.trimmingCharacters(in: .whitespaces)), n > 0, n <= 1_000_000 else {
                throw ValidationError("--at-steps: '\(item)' is not a step number from 1 to 1000000")
            }
            return n
        }
        guard zip(steps, steps.dropFirst()).allSatisfy({ $0 < $1 }) else { throw ValidationError("--at-steps: steps must increase (got \(list))") }
        return steps
    }
}
