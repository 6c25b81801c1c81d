// The `train` job spec: parsed and validated from JSON in one place, and echoed back normalised.
import Datasets
import Linalg
import Trainer

/// A validated train job.
public struct TrainSpec: Sendable, Equatable {
    public var name: String?
    /// The queue the job goes to (nil: "default").
    public var queue: String?
    public var dataset: DatasetSource
    public var split: SplitRule
    public var standardize: Bool
    public var training: TrainingConfig
    /// Write a checkpoint every this many steps (0: never).
    public var checkpointEvery: Int
    /// OpenBLAS threads for this job.
    public var blasThreads: Int
    /// End the run (as succeeded, verdict collapsed) at the first evaluation whose verdict is collapsed.
    public var stopOnCollapse = false

    /// Largest batch (P × K) accepted; batch-all mines up to B³ triplets, so it has a lower limit.
    static let maxBatch = 4096
    static let maxBatchAll = 256

    /// Parses the fields of a train spec (the reader is the top-level object; `kind` already read).
    static func parse(_ r: SpecReader) throws -> TrainSpec {
        let name = try r.jobName()
        let seed = UInt64(try r.int("seed", default: 0, in: 0...(1 << 53)))
        let dataset = try DatasetSpec.parse(try r.object("dataset"))
        let split = try parseSplit(try r.optionalObject("split"))
        let standardize = try r.bool("standardize", default: true)

        let m = try r.optionalObject("model")
        let hidden = try m?.intArray("hidden", default: [256, 256], in: 1...65536, count: 0...16) ?? [256, 256]
        let embeddingDim = try m?.int("embedding_dim", default: 64, in: 1...4096) ?? 64
        let normalize = try m?.bool("normalize", default: true) ?? true
        try m?.rejectUnknownKeys()

        let l = try r.optionalObject("loss")
        let lossKind = TripletLossKind(rawValue: try l?.choice("type", TripletLossKind.allCases.map(\.rawValue), default: "hinge", what: "loss") ?? "hinge")!
        let margin = try l?.number("margin", default: 0.2, in: 0...1e6, rangeText: "must be a non-negative number") ?? 0.2
        let distance = DistanceKind(rawValue: try l?.choice("distance", DistanceKind.allCases.map(\.rawValue), default: "euclidean", what: "distance") ?? "euclidean")!
        try l?.rejectUnknownKeys()

        let miner = Miner(rawValue: try r.choice("miner", Miner.allCases.map(\.rawValue), default: "batch-hard", what: "miner"))!

        let s = try r.optionalObject("sampler")
        let p = try s?.int("classes_per_batch", default: 8, in: 2...Int.max) ?? 8
        let k = try s?.int("samples_per_class", default: 16, in: 2...Int.max) ?? 16
        try s?.rejectUnknownKeys()
        let limit = miner == .batchAll ? maxBatchAll : maxBatch
        if p > limit || k > limit || p * k > limit {
            throw SpecError(path: "spec.sampler", "classes_per_batch × samples_per_class = \(p * k) exceeds \(limit)" +
                            (miner == .batchAll ? " (batch-all mines up to B³ triplets per batch)" : ""))
        }

        let optimizer = try parseOptimizer(try r.optionalObject("optimizer"))
        let steps = try r.int("steps", default: 2000, in: 1...100_000_000)
        let evalEvery = try r.int("eval_every", default: max(1, steps / 10), in: 1...Int.max)
        let checkpointEvery = try r.int("checkpoint_every", default: 0, in: 0...Int.max)
        let blasThreads = try r.int("blas_threads", default: 1, in: 1...256)
        let stopOnCollapse = try r.bool("stop_on_collapse", default: false)
        let queue = try r.jobQueue()
        let e = try r.optionalObject("estimators")
        var estimators = EstimatorSettings()
        estimators.enabled = try e?.bool("enabled", default: true) ?? true
        estimators.probeSize = try e?.int("probe_size", default: 256, in: 3...2000) ?? 256
        estimators.iterations = try e?.int("iterations", default: 150, in: 0...100_000) ?? 150
        estimators.finalIterations = try e?.int("final_iterations", default: 600, in: 0...100_000) ?? 600
        try e?.rejectUnknownKeys()
        try r.rejectUnknownKeys()

        let training = TrainingConfig(
            model: MLPShape(inputDim: 0, hidden: hidden, embeddingDim: embeddingDim, normalize: normalize),
            loss: TripletLossConfig(kind: lossKind, margin: margin, distance: distance), miner: miner,
            classesPerBatch: p, samplesPerClass: k, optimizer: optimizer, steps: steps, evalEvery: evalEvery, seed: seed,
            estimators: estimators)
        var spec = TrainSpec(name: name, dataset: dataset, split: split, standardize: standardize, training: training,
                             checkpointEvery: checkpointEvery, blasThreads: blasThreads, stopOnCollapse: stopOnCollapse)
        spec.queue = queue
        return spec
    }

    static func parseSplit(_ r: SpecReader?) throws -> SplitRule {
        guard let r else { return .byInstance(testFraction: 0.3) }
        let by = try r.choice("by", ["instance", "class"], default: "instance", what: "split")
        let f = try r.number("test_fraction", default: by == "instance" ? 0.3 : 0.5, in: 0...1, rangeText: "must be strictly between 0 and 1")
        if f <= 0 || f >= 1 { throw SpecError(path: "\(r.path).test_fraction", "must be strictly between 0 and 1") }
        try r.rejectUnknownKeys()
        return by == "instance" ? .byInstance(testFraction: f) : .byClass(testFraction: f)
    }

    static func parseOptimizer(_ r: SpecReader?) throws -> OptimizerConfig {
        guard let r else { return OptimizerConfig() }
        let kind = OptimizerKind(rawValue: try r.choice("type", OptimizerKind.allCases.map(\.rawValue), default: "adam", what: "optimizer"))!
        var c = OptimizerConfig(kind: kind)
        c.learningRate = try r.number("learning_rate", default: kind == .adam ? 1e-3 : 1e-2, in: 0...10, rangeText: "must be greater than 0 and at most 10")
        if c.learningRate <= 0 { throw SpecError(path: "\(r.path).learning_rate", "must be greater than 0 and at most 10") }
        c.weightDecay = try r.number("weight_decay", default: 0, in: 0...1, rangeText: "must be between 0 and 1")
        let onlyFor: [(String, OptimizerKind)] = [("beta1", .adam), ("beta2", .adam), ("epsilon", .adam), ("momentum", .sgd)]
        for (key, owner) in onlyFor where owner != kind && r.has(key) {
            throw SpecError(path: "\(r.path).\(key)", "only applies to optimizer type \(owner.rawValue)")
        }
        if kind == .adam {
            c.beta1 = try r.number("beta1", default: 0.9, in: 0...0.999999, rangeText: "must be in [0, 1)")
            c.beta2 = try r.number("beta2", default: 0.999, in: 0...0.999999999, rangeText: "must be in [0, 1)")
            c.epsilon = try r.number("epsilon", default: 1e-8, in: 1e-30...1, rangeText: "must be greater than 0 and at most 1")
        } else {
            c.momentum = try r.number("momentum", default: 0.9, in: 0...0.999999, rangeText: "must be in [0, 1)")
        }
        if let s = try r.optionalObject("schedule") {
            switch try s.choice("type", ["constant", "cosine", "step"], default: "constant", what: "schedule") {
            case "cosine":
                let minimum = try s.number("min_learning_rate", default: 0, in: 0...10)
                if minimum > c.learningRate { throw SpecError(path: "\(s.path).min_learning_rate", "must not exceed learning_rate \(c.learningRate)") }
                c.schedule = .cosine(minimum: minimum)
            case "step":
                c.schedule = .step(every: try s.int("step_size", in: 1...Int.max), gamma: try s.number("gamma", default: 0.1, in: 0...1, rangeText: "must be in (0, 1]"))
                if case .step(_, let g) = c.schedule, g <= 0 { throw SpecError(path: "\(s.path).gamma", "must be in (0, 1]") }
            default:
                c.schedule = .constant
            }
            try s.rejectUnknownKeys()
        }
        try r.rejectUnknownKeys()
        return c
    }

    /// The spec with every default filled in, as JSON (what result.json echoes; parses back to the same spec).
    public var json: JSONValue {
        let t = training
        var optimizer: [String: JSONValue] = [
            "type": .string(t.optimizer.kind.rawValue),
            "learning_rate": .number(t.optimizer.learningRate),
            "weight_decay": .number(t.optimizer.weightDecay),
        ]
        switch t.optimizer.kind {
        case .adam:
            optimizer["beta1"] = .number(t.optimizer.beta1)
            optimizer["beta2"] = .number(t.optimizer.beta2)
            optimizer["epsilon"] = .number(t.optimizer.epsilon)
        case .sgd:
            optimizer["momentum"] = .number(t.optimizer.momentum)
        }
        switch t.optimizer.schedule {
        case .constant: optimizer["schedule"] = .object(["type": .string("constant")])
        case .cosine(let minimum): optimizer["schedule"] = .object(["type": .string("cosine"), "min_learning_rate": .number(minimum)])
        case .step(let every, let gamma):
            optimizer["schedule"] = .object(["type": .string("step"), "step_size": .number(Double(every)), "gamma": .number(gamma)])
        }
        let splitJSON: JSONValue
        switch split {
        case .byInstance(let f): splitJSON = .object(["by": .string("instance"), "test_fraction": .number(f)])
        case .byClass(let f): splitJSON = .object(["by": .string("class"), "test_fraction": .number(f)])
        }
        var out: [String: JSONValue] = [
            "kind": .string("train"),
            "seed": .number(Double(t.seed)),
            "dataset": DatasetSpec.json(dataset),
            "split": splitJSON,
            "standardize": .bool(standardize),
            "model": .object([
                "hidden": .array(t.model.hidden.map { .number(Double($0)) }),
                "embedding_dim": .number(Double(t.model.embeddingDim)),
                "normalize": .bool(t.model.normalize),
            ]),
            "loss": .object([
                "type": .string(t.loss.kind.rawValue), "margin": .number(t.loss.margin), "distance": .string(t.loss.distance.rawValue),
            ]),
            "miner": .string(t.miner.rawValue),
            "sampler": .object([
                "classes_per_batch": .number(Double(t.classesPerBatch)), "samples_per_class": .number(Double(t.samplesPerClass)),
            ]),
            "optimizer": .object(optimizer),
            "steps": .number(Double(t.steps)),
            "eval_every": .number(Double(t.evalEvery)),
            "checkpoint_every": .number(Double(checkpointEvery)),
            "blas_threads": .number(Double(blasThreads)),
            "stop_on_collapse": .bool(stopOnCollapse),
            "estimators": .object([
                "enabled": .bool(t.estimators.enabled), "probe_size": .number(Double(t.estimators.probeSize)),
                "iterations": .number(Double(t.estimators.iterations)),
                "final_iterations": .number(Double(t.estimators.finalIterations)),
            ]),
        ]
        if let name { out["name"] = .string(name) }
        if let queue { out["queue"] = .string(queue) }
        return .object(out)
    }
}
