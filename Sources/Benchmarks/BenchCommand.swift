// `isomine bench trainer`: training speed on the reference config, as JSON.
import Vocabulary
import ArgumentParser
import Console
import Datasets
import Dispatch
import Estimators
import Isometry
import Foundation
import Postgres
import Queue
import Webhooks
import Workers
import Jobs
import Linalg
import Logging
import Trainer
import Triplets

public struct Bench: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        abstract: "Benchmarks that print JSON.",
        subcommands: [TrainerBench.self, EstimatorsBench.self, VerdictsBench.self, QueueBench.self, AnalyzeBench.self, SeriesStepBench.self])
}

struct TrainerBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trainer",
        abstract: "Steps/s of the reference config (digits, batch-hard, 64-256-256-64, P=8 K=16) and the GFLOP/s of its matrix products.",
        discussion: """
        Trains the reference config (deploy/examples/digits-batch-hard.json, embedded in the binary) and
        prints one JSON object: steps_per_second (training steps only), the final retrieval metrics, a
        per-phase breakdown of a step, and the same step's matrix products run alone (gflops, and the
        steps/s bound they set). --miner trains the same config with another miner (the collapse-aware
        miner's speed bar is ≥ 0.75 × batch-hard's here). Compare with the peer baseline:
          python pml_peer.py --csv digits.csv.gz --hidden 256,256 --dim 64 --miner batch-hard --P 8 --K 16 --steps 2000 --threads 1
        """)

    @Option(help: "Training steps.")
    var steps = 2000

    @Option(help: "Threads (the spec's threads).")
    var threads = 1

    @Option(help: "The miner (default: the reference config's batch-hard).")
    var miner: Miner?

    @OptionGroup var logging: LoggingOptions

    func run() throws {
        let logger = try logging.bootstrap()
        try CLIError.reporting {
            guard steps >= 1 else { throw RunError("--steps: must be at least 1") }
            guard case .train(var spec) = try JobSpec.parse(Data(ReferenceSpec.json.utf8)) else { return }
            spec.training.steps = steps
            spec.training.evalEvery = steps
            spec.threads = threads
            if let miner { spec.training.miner = miner }
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
                "miner": .string(spec.training.miner.rawValue),
                "threads": .number(Double(threads)),
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

struct EstimatorsBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "estimators",
        abstract: "Time of the d_iso and d_haus brackets on a labelled set (default N = 1000, n = 32), and their upper/lower ratios.",
        discussion: "The set is the blobs builtin (10 classes, per_class = N/10, dim = n, separation 1, so classes overlap and L_hard > 0).")

    @Option(help: "Points.")
    var points = 1000

    @Option(help: "Dimension.")
    var dim = 32

    @Option(help: "Threads.")
    var threads = 1

    @Option(help: "f* descent iterations per start (0: by size).")
    var iterations = 0

    @Option(help: "Certify the iterate every this many iterations (0: by size).")
    var checkEvery = 0

    func run() throws {
        try CLIError.reporting {
            guard points >= 20, dim >= 1 else { throw RunError("--points must be at least 20 and --dim at least 1") }
            BLASThreads.set(1)  // the analysis spreads its own blocks over `threads`, as analyze jobs do
            let data = BuiltinDatasets.blobs(BlobsParameters(classes: 10, perClass: points / 10, dim: dim, separation: 1, seed: 0))
            let f = try LabeledPoints(points: data.features.converted(to: Double.self), labels: data.labels)
            let start = DispatchTime.now().uptimeNanoseconds
            let a = IsometryAnalysis(f, options: FStarOptions(iterations: iterations, checkEvery: checkEvery, threads: threads))
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            let out: JSONValue = .object([
                "benchmark": .string("estimators"),
                "points": .number(Double(f.count)), "dim": .number(Double(dim)), "threads": .number(Double(threads)),
                "seconds": .number(seconds),
                "l_hard": .number(a.hardestLoss),
                "d_iso": try JSONValue.from(a.isometric),
                "d_haus": try JSONValue.from(a.hausdorff),
                "theorem3": .string(a.checks.theorem3.rawValue),
                "candidates_certified": .number(Double(a.fStar.candidatesCertified)),
            ])
            print(String(decoding: try out.serialized(), as: UTF8.self))
        }
    }
}

struct VerdictsBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verdicts",
        abstract: "Accuracy of the collapse verdict on generated embeddings whose status is known by construction, or on a corpus of real runs.",
        discussion: """
        Without --corpus: every family (healthy separated, tight classes balanced and unbalanced, classes on a line, healthy
        shifted, scaled, rotated and on the sphere, tight classes in spherical caps and the same with one point per class moved
        toward a neighbour or with norms perturbed by 1e-5, a separated set scaled with its margin by 1e-30 and 1e30 and by
        1e-170 and 1e140, one-point collapse on and off the sphere, rank-1 and rank-2 dimensional collapse with overlapping
        classes, random labels, partially merged classes) is generated at each size, dimension and seed and analysed as an
        analyze job would be (estimators and verdict, judged against the family's margin).
        With --corpus DIR: every checkpoint listed in DIR/manifest.json (deploy/corpus/make_real_runs.py writes one from
        real PyTorch + pytorch-metric-learning runs) is analysed as an analyze job with its margin (epoch 0 as untrained)
        and compared with the manifest's expected verdict; families are the manifest's.
        Prints JSON: per family its cases, the verdicts it got, `accuracy` in [0, 1] and the misses with their reasons;
        the confusion matrix (expected → got) and the overall accuracy.
        """)

    @Option(help: "Seeds per family, size and dimension (generated families).")
    var seeds = 3

    @Option(help: "Set sizes, comma-separated (generated families).")
    var sizes = "96,240"

    @Option(help: "Dimensions, comma-separated (generated families).")
    var dims = "8,32"

    @Option(help: "f* descent iterations per start (0: by size).")
    var iterations = 100

    @Option(help: "A corpus folder with manifest.json (real runs) instead of the generated families.")
    var corpus: String?

    func run() throws {
        try CLIError.reporting {
            func list(_ text: String, _ name: String, _ range: ClosedRange<Int>) throws -> [Int] {
                let values = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
                guard !values.isEmpty, values.allSatisfy({ $0.map(range.contains) ?? false }) else {
                    throw RunError("--\(name): comma-separated integers in \(range.lowerBound)…\(range.upperBound)")
                }
                return values.map { $0! }
            }
            guard (1...100).contains(seeds) else { throw RunError("--seeds: must be between 1 and 100") }
            guard (0...100_000).contains(iterations) else { throw RunError("--iterations: must be between 0 and 100000") }
            BLASThreads.set(1)
            let start = DispatchTime.now().uptimeNanoseconds
            let tally: VerdictTally
            if let corpus {
                let cases = try RealRunCorpus.run(corpus, iterations: iterations)
                tally = VerdictTally(cases.map {
                    VerdictTally.Case(family: $0.checkpoint.family, expected: $0.checkpoint.expected, got: $0.got,
                                      detail: ["run": .string($0.checkpoint.run), "epoch": .number(Double($0.checkpoint.epoch)),
                                               "headline": .string($0.headline), "reasons": .array($0.reasons.map(JSONValue.string))])
                }, descriptions: [:])
            } else {
                let cases = try VerdictBenchmark.run(sizes: try list(sizes, "sizes", 24...2000), dims: try list(dims, "dims", 1...512),
                                                     seeds: seeds, iterations: iterations)
                tally = VerdictTally(cases.map {
                    VerdictTally.Case(family: $0.family, expected: $0.expected, got: $0.got,
                                      detail: ["size": .number(Double($0.count)), "dim": .number(Double($0.dim)), "seed": .number(Double($0.seed)),
                                               "reasons": .array($0.reasons.map(JSONValue.string))])
                }, descriptions: Dictionary(VerdictBenchmark.families.map { ($0.name, $0.description) }, uniquingKeysWith: { a, _ in a }))
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            var out = tally.json
            out["benchmark"] = .string(corpus == nil ? "verdicts" : "verdicts-corpus")
            out["seconds"] = .number(seconds)
            print(String(decoding: try JSONValue.object(out).serialized(), as: UTF8.self))
        }
    }
}

/// Per-family accuracy, misses and the confusion matrix of verdict cases (generated or real).
struct VerdictTally {
    struct Case {
        var family: String
        var expected: VerdictLevel
        var got: VerdictLevel
        var detail: [String: JSONValue]
    }

    let cases: [Case]
    let descriptions: [String: String]

    init(_ cases: [Case], descriptions: [String: String]) {
        self.cases = cases
        self.descriptions = descriptions
    }

    /// Families in order of first appearance.
    var familyNames: [String] {
        var seen = Set<String>(), names = [String]()
        for c in cases where seen.insert(c.family).inserted { names.append(c.family) }
        return names
    }

    func accuracy(_ family: String? = nil) -> Double {
        let mine = cases.filter { family == nil || $0.family == family }
        return mine.isEmpty ? 0 : Double(mine.filter { $0.got == $0.expected }.count) / Double(mine.count)
    }

    var json: [String: JSONValue] {
        let families: [JSONValue] = familyNames.map { name in
            let mine = cases.filter { $0.family == name }
            var got = [String: JSONValue](), expected = [String: JSONValue]()
            for level in VerdictLevel.allCases {
                got[level.rawValue] = .number(Double(mine.filter { $0.got == level }.count))
                expected[level.rawValue] = .number(Double(mine.filter { $0.expected == level }.count))
            }
            var object: [String: JSONValue] = [
                "family": .string(name), "cases": .number(Double(mine.count)), "expected": .object(expected), "got": .object(got),
                "accuracy": .number(accuracy(name)),
                "misses": .array(mine.filter { $0.got != $0.expected }.map {
                    var d = $0.detail
                    d["expected"] = .string($0.expected.rawValue)
                    d["got"] = .string($0.got.rawValue)
                    return .object(d)
                }),
            ]
            if let text = descriptions[name] { object["description"] = .string(text) }
            return .object(object)
        }
        var confusion = [String: JSONValue]()
        for e in VerdictLevel.allCases {
            var row = [String: JSONValue]()
            for g in VerdictLevel.allCases { row[g.rawValue] = .number(Double(cases.filter { $0.expected == e && $0.got == g }.count)) }
            confusion[e.rawValue] = .object(row)
        }
        return ["cases": .number(Double(cases.count)), "accuracy": .number(accuracy()), "min_family_accuracy": .number(familyNames.map { accuracy($0) }.min() ?? 0),
                "confusion": .object(confusion), "families": .array(families)]
    }
}

struct QueueBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "Queue overhead on PostgreSQL (DATABASE_URL): no-op job throughput with one worker, and claim latency after enqueue.",
        discussion: "It migrates, enqueues --jobs no-op jobs (kind analyze, never run: each is claimed and marked succeeded, without a child process), then measures enqueue→NOTIFY→claim latency over --latency-samples jobs, then the time per job of --child-jobs tiny analyses run in-process and in child processes (child_process.overhead_ms_per_job). The jobs it creates are deleted at the end.")

    @Option(help: "Jobs for the throughput run.")
    var jobs = 2000

    @Option(help: "Enqueue→claim latency samples.")
    var latencySamples = 100

    @Option(help: "Tiny analyze jobs run in-process and in child processes, to measure what a job's own process costs.")
    var childJobs = 20

    func run() throws {
        try CLIError.reporting {
            guard jobs >= 1, latencySamples >= 1, childJobs >= 1 else { throw RunError("--jobs, --latency-samples and --child-jobs must be at least 1") }
            let db = try Database.connect()
            try Migrator.migrate(db)
            let marker = "bench-\(UUID().uuidString)"
            let spec = #"{"kind":"analyze","dataset":{"type":"toy5"},"name":"\#(marker)"}"#
            defer { try? JobQueue.deleteNamed(db, name: marker) }
            for _ in 0..<jobs { _ = try JobQueue.enqueue(db, kind: "analyze", spec: spec, priority: 1_000_000) }
            let start = DispatchTime.now().uptimeNanoseconds
            var done = 0
            while let job = try JobQueue.claim(db, owner: "bench", leaseSeconds: 30) {
                try JobQueue.succeed(db, job, owner: "bench", result: "{}")
                done += 1
                if done == jobs { break }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            // Latency: a second connection enqueues; the worker connection waits on NOTIFY, then claims.
            let producer = try Database.connect()
            try db.listen(Channel.jobs)
            var latencies = [Double]()
            for _ in 0..<latencySamples {
                _ = try db.notifications(timeout: 0)
                let t0 = DispatchTime.now().uptimeNanoseconds
                _ = try JobQueue.enqueue(producer, kind: "analyze", spec: spec, priority: 1_000_000)
                while try db.notifications(timeout: 1).isEmpty {}
                guard let job = try JobQueue.claim(db, owner: "bench", leaseSeconds: 30) else { continue }
                latencies.append(Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-6)
                try JobQueue.succeed(db, job, owner: "bench", result: "{}")
            }
            latencies.sort()
            // A job's own process: the same tiny analysis run by a Worker in-process and in a child
            // process (`run-job`); the difference per job is what the child costs (spawn, runtime start,
            // connection, reading the job) on top of the work.
            func perJob(child: Bool) throws -> Double {
                var quiet = Logger(label: "isomine.bench")
                quiet.logLevel = .warning
                let worker = Worker(db: db, owner: "bench", runner: Runner(logger: quiet), logger: quiet)
                worker.childExecutable = child ? Worker.defaultChildExecutable : nil
                for _ in 0..<childJobs { _ = try JobQueue.enqueue(db, kind: "analyze", spec: tiny, priority: 1_000_000) }
                let t0 = DispatchTime.now().uptimeNanoseconds
                var ran = 0
                while ran < childJobs, try worker.runOne() != nil { ran += 1 }
                return Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9 / Double(max(ran, 1))
            }
            let tiny = #"{"kind":"analyze","dataset":{"type":"toy5"},"iterations":1,"name":"\#(marker)"}"#
            let inProcess = try perJob(child: false)
            let inChild = Worker.defaultChildExecutable == nil ? nil : try perJob(child: true)
            let out: JSONValue = .object([
                "benchmark": .string("queue"),
                "jobs": .number(Double(done)),
                "jobs_per_second": .number(Double(done) / seconds),
                "claim_latency_ms": .object([
                    "p50": .number(latencies[latencies.count / 2]),
                    "p95": .number(latencies[min(latencies.count - 1, latencies.count * 95 / 100)]),
                ]),
                "child_process": .object([
                    "jobs": .number(Double(childJobs)),
                    "in_process_ms_per_job": .number(inProcess * 1000),
                    "child_ms_per_job": inChild.map { .number($0 * 1000) } ?? .null,
                    "overhead_ms_per_job": inChild.map { .number(($0 - inProcess) * 1000) } ?? .null,
                ]),
            ])
            print(String(decoding: try out.serialized(), as: UTF8.self))
        }
    }
}

/// `--miner` takes a miner's spec name; argument-parser lists the names in `--help` and names the
/// option and the choices when the value is not one of them (exit status 2, as every invalid option).
extension Miner: ExpressibleByArgument {}
