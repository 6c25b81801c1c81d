// Every field of the `train` spec, declared once: the parser, the normalised echo, `run --help` and
// docs/spec-reference.md's train table come from this list (its order).
import Datasets
import Trainer
import Triplets

/// `split.by` names.
public enum SplitBy: String, CaseIterable, Sendable {
    case instance
    case `class`
}

/// `optimizer.schedule.type` names.
public enum ScheduleType: String, CaseIterable, Sendable {
    case constant, cosine, step
}

extension TrainSpec {
    /// `split.by` and `split.test_fraction`, kept in `split`.
    var splitBy: SplitBy {
        get { if case .byClass = split { return .class } else { return .instance } }
        set { split = newValue == .class ? .byClass(testFraction: testFraction) : .byInstance(testFraction: testFraction) }
    }

    var testFraction: Double {
        get { switch split { case .byInstance(let f), .byClass(let f): return f } }
        set { split = splitBy == .class ? .byClass(testFraction: newValue) : .byInstance(testFraction: newValue) }
    }
}

extension OptimizerConfig {
    /// The schedule's fields, kept in `schedule`.
    var scheduleType: ScheduleType {
        get {
            switch schedule {
            case .constant: return .constant
            case .cosine: return .cosine
            case .step: return .step
            }
        }
        set {
            switch newValue {
            case .constant: schedule = .constant
            case .cosine: schedule = .cosine(minimum: 0)
            case .step: schedule = .step(every: 1, gamma: 0.1)
            }
        }
    }

    var minimumLearningRate: Double {
        get { if case .cosine(let m) = schedule { return m } else { return 0 } }
        set { schedule = .cosine(minimum: newValue) }
    }

    var stepSize: Int {
        get { if case .step(let every, _) = schedule { return every } else { return 1 } }
        set { schedule = .step(every: newValue, gamma: gamma) }
    }

    var gamma: Double {
        get { if case .step(_, let g) = schedule { return g } else { return 0.1 } }
        set { schedule = .step(every: stepSize, gamma: newValue) }
    }
}

extension TrainSpec {
    private static func optimizer(_ kind: OptimizerKind) -> FieldCondition<TrainSpec> {
        FieldCondition("only applies to optimizer type \(kind.rawValue)") { $0.training.optimizer.kind == kind }
    }

    private static func onWarning(_ actions: OnWarningAction...) -> FieldCondition<TrainSpec> {
        FieldCondition("only applies to on_warning.action \(actions.map(\.rawValue).joined(separator: " or "))") { actions.contains($0.onWarning) }
    }

    private static func schedule(_ type: ScheduleType) -> FieldCondition<TrainSpec> {
        FieldCondition("only applies to schedule type \(type.rawValue)") { $0.training.optimizer.scheduleType == type }
    }

    /// The train spec's fields.
    public static let schema = SpecSchema<TrainSpec>([
        .kind("train", type: "`\"train\"` \\| `\"analyze\"` \\| `\"sweep\"`", "job kind; the analyze and sweep fields are listed below"),
        .field("name", .jobName, \.name, default: .absent("none"), "label echoed in the result (at most 200 characters, one line)"),
        .field("queue", .queueName, \.queue, default: .absent("`default`"),
               "the queue the job goes to when enqueued (1–63 of `a-z 0-9 _ . -`); workers serve `--queues`"),
        .field("seed", .seed, \.training.seed, default: .value(0), "seeds the split, initialisation, sampling and the random miner"),
        .field("dataset", .dataset, \.dataset, default: .required, "see below"),
        .field("split.by", .choice(what: "split"), \.splitBy, default: .value(.instance),
               "`instance`: stratified, about `test_fraction` of every class held out (at least 2 training samples stay in each class). `class`: whole classes held out, the zero-shot retrieval protocol (needs ≥ 4 classes; at least 2 on each side)"),
        .field("split.test_fraction", .number(.open(0, 1)), \.testFraction,
               default: .computed("0.3 (`instance`), 0.5 (`class`)") { $0.splitBy == .instance ? 0.3 : 0.5 },
               "evaluation is exact at any size (k nearest neighbours by blocks, no N × N matrix; see *Retrieval metrics at scale*)"),
        .field("standardize", .bool, \.standardize, default: .value(true),
               "per-feature mean/std of the **training** split applied to both splits; a constant feature is only centred"),
        .field("model.hidden", .integers(1...65536, count: 0...16), \.training.model.hidden, default: .value([256, 256]), "hidden layer widths (ReLU)"),
        .field("model.embedding_dim", .integer(1...4096), \.training.model.embeddingDim, default: .value(64),
               "embedding dimension n (the whole model may have at most 10⁸ parameters)"),
        .field("model.normalize", .bool, \.training.model.normalize, default: .value(true), "L2-normalise the output (embeddings on the unit sphere)"),
        .field("loss.type", .choice(what: "loss"), \.training.loss.kind, default: .value(.hinge), "`[d⁺ − d⁻ + α]₊` or `softplus(d⁺ − d⁻ + α)`"),
        .field("loss.margin", .number(.greaterThan(0)), \.training.loss.margin, default: .value(0.2), "α (in the loss's distance: a squared length for `squared`); the verdict judges distances against it"),
        .field("loss.distance", .choice(what: "distance"), \.training.loss.distance, default: .value(.euclidean),
               "‖a−b‖ (gradient of √ at 0 taken as 0) or ‖a−b‖²"),
        .field("miner", FieldType<Miner>.choice(what: "miner").documented("see Miners"), \.training.miner, default: .value(.batchHard),
               "which triplets of a batch the loss sees"),
        .field("sampler.classes_per_batch", FieldType<Int>.integer(2...Int.max).documented("≥ 2, ≤ training classes"), \.training.classesPerBatch,
               default: .value(8), "P"),
        .field("sampler.samples_per_class", .integer(2...Int.max), \.training.samplesPerClass, default: .value(16),
               "K; P × K ≤ 4096 (`batch-all` with the `soft` loss: at most 2²² = 4,194,304 triplets per batch, B·(K − 1)·(B − K) with B = P × K; 10 × 32 mines 2,856,960. With `hinge` batch-all counts its triplets without listing them and has no such limit)"),
        .field("optimizer.type", .choice(what: "optimizer"), \.training.optimizer.kind, default: .value(.adam),
               "Adam as `torch.optim.Adam`; SGD with heavy-ball momentum as `torch.optim.SGD`"),
        .field("optimizer.learning_rate", .number(.openClosed(0, 10)), \.training.optimizer.learningRate,
               default: .computed("1e-3 (adam), 1e-2 (sgd)") { $0.training.optimizer.kind == .adam ? 1e-3 : 1e-2 }, ""),
        .field("optimizer.weight_decay", .number(.closed(0, 1)), \.training.optimizer.weightDecay, default: .value(0),
               "L2 penalty added to the gradient (coupled, as PyTorch)"),
        .field("optimizer.beta1", .number(.closedOpen(0, 1)), \.training.optimizer.beta1, default: .value(0.9), when: optimizer(.adam), "Adam only"),
        .field("optimizer.beta2", .number(.closedOpen(0, 1)), \.training.optimizer.beta2, default: .value(0.999), when: optimizer(.adam), "Adam only"),
        .field("optimizer.epsilon", .number(.openClosed(0, 1)), \.training.optimizer.epsilon, default: .value(1e-8), when: optimizer(.adam), "Adam only"),
        .field("optimizer.momentum", .number(.closedOpen(0, 1)), \.training.optimizer.momentum, default: .value(0.9), when: optimizer(.sgd), "SGD only"),
        .field("optimizer.schedule.type", .choice(what: "schedule"), \.training.optimizer.scheduleType, default: .value(.constant),
               "learning-rate schedule"),
        .field("optimizer.schedule.min_learning_rate", .number(.closed(0, 10)), \.training.optimizer.minimumLearningRate, default: .value(0),
               when: schedule(.cosine), "`cosine`: half-cosine from `learning_rate` to this at the last step (at most `learning_rate`)"),
        .field("optimizer.schedule.step_size", .integer(1...Int.max), \.training.optimizer.stepSize, default: .required, when: schedule(.step),
               "`step`: multiply by `gamma` every `step_size` steps"),
        .field("optimizer.schedule.gamma", .number(.openClosed(0, 1)), \.training.optimizer.gamma, default: .value(0.1), when: schedule(.step),
               "`step`: the factor"),
        .field("steps", FieldType<Int>.integer(1...100_000_000).documented("1…10⁸"), \.training.steps, default: .value(2000), "training steps"),
        .field("eval_every", .integer(1...Int.max), \.training.evalEvery, default: .computed("steps/10") { max(1, $0.training.steps / 10) },
               "evaluation interval; step 0 and the last step are always evaluated"),
        .field("checkpoint_every", .integer(0...Int.max), \.checkpointEvery, default: .value(0), "write a checkpoint every N steps (0: never)"),
        .field("threads", .integer(ThreadsField.range), \.threads, default: .absent("the job's share"), ThreadsField.threadsDoc),
        .field("blas_threads", .integer(ThreadsField.range), \.blasThreads, default: .absent("none"), ThreadsField.blasThreadsDoc),
        .field("estimators.enabled", .bool, \.training.estimators.enabled, default: .value(true), "compute the estimator block at every evaluation"),
        .field("estimators.probe_size", .integer(3...2000), \.training.estimators.probeSize, default: .value(256),
               "points of the evaluation set analysed: a seeded probe that keeps at least 2 points of every class it samples (see *Retrieval metrics at scale*), fixed for the run (a smaller evaluation set is analysed whole)"),
        .field("estimators.iterations", .integer(0...100_000), \.training.estimators.iterations, default: .value(150),
               "f* descent iterations per start at every evaluation but the last (0: chosen by size)"),
        .field("estimators.final_iterations", .integer(0...100_000), \.training.estimators.finalIterations, default: .value(600),
               "the same at the last evaluation, whose brackets the result, report and artifacts keep (on the reference run: d_iso ratio 1.02, d_haus 1.20)"),
        .field("warning.stride", .integer(1...100_000_000), \.warningStride, default: .computed("steps/200") { max(1, $0.training.steps / 200) },
               "record the per-step collapse signals (loss over its collapsed value, active fraction, d⁻ − d⁺, the batch's spread against step 0's, output norm, the batch's effective rank) at step 0 and every this many steps, and check the warning rule on each record: metric rows `signal_*` and the artifact `step_signals.json`; at most `steps`. Each record also judges a fixed probe of 192 evaluation rows by the verdict's rule (`probe` in `step_signals.json`), which dates the run's `first_collapse_step`. A record costs the batch's pairwise distances, an n × n eigendecomposition and the probe's embedding and pairwise distances, so a stride of 1 slows training with large batches or dimensions"),
        .field("warning.risk", .bool, \.warningRisk, default: .value(true),
               "measure the step-0 collapse risk before training (`collapse_risk` in the result: the mechanism ratio on 3 PK batches of the untrained network, B/n, the gap at initialisation, the learning rate, the margin and what the run's first step does to its signal probe (taken, then undone: training is unchanged), in a model calibrated on generated sweeps) and raise the collapse warning at step 0 when it reaches its threshold — for miners that take each anchor's hardest negative (batch-hard, easy-positive, hardest-triplet), the runs it was fitted on; for the others it is reported with the reason `miner_not_calibrated` and does not warn. Costs an f* search per batch: about a second for batches of 40 points, several for batches of hundreds (`isomine risk SPEC` prints it without training)"),
        .field("warning.mechanism_every", .integer(0...100_000_000), \.warningMechanismEvery, default: .value(0),
               "also measure the mechanism ratio (the step-0 risk's: d_iso to the class-centroid collapse over the certified d_iso to the nearest separated embedding that keeps half the spread, the median over the same 3 PK batches) as the network embeds them at every this many steps (0: never after step 0): `mechanism_ratio` in those records of `step_signals.json` and the metric `signal_mechanism_ratio`. A multiple of `warning.stride`; each reading costs an f* search per batch (see `warning.risk`). Recorded, not used by the warning rule: measured in docs/science.md's warning section"),
        .field("stop_on_warning", .bool, \.stopOnWarning, default: .value(false),
               "end the run when the collapse warning first fires (`collapse.warning`: the step-0 risk, at step 0, or the per-step signals later), as **succeeded** with its verdict at that step (evaluated there) and `stopped_on_warning_at` in the result; needs the estimators"),
        .field("on_warning.action", .choice(what: "on_warning action"), \.onWarning, default: .value(.none),
               "what the run does when the collapse warning first fires (`\"on_warning\": \"stop\"` is short for `{\"action\": \"stop\"}`). `stop`: as `stop_on_warning` (its older spelling; giving both with different actions is an error). `switch_miner`: go back to the last rewind point before the warning (see `on_warning.rewind_every`) and train on with `on_warning.miner`. `lower_learning_rate`: the same, with the learning rate (and its schedule) multiplied by `on_warning.factor`. Once per run; the result's `on_warning` and the run's page say what was done, when, and whether the abandoned steps had collapsed; a sweep counts the runs acted on per cell"),
        .field("on_warning.miner", FieldType<Miner>.choice(what: "miner").documented("see Miners"), \.onWarningMiner, default: .value(.collapseAware),
               when: onWarning(.switchMiner), "`switch_miner`: the miner to train on with (not the run's own)"),
        .field("on_warning.factor", .number(.open(0, 1)), \.onWarningFactor, default: .value(0.1), when: onWarning(.lowerLearningRate),
               "`lower_learning_rate`: the factor, in (0, 1)"),
        .field("on_warning.rewind_every", .integer(0...100_000_000), \.onWarningRewindEvery,
               default: .computed("eval_every") { $0.training.evalEvery }, when: onWarning(.switchMiner, .lowerLearningRate),
               "keep a rewind point (an in-memory checkpoint: parameters, optimiser, sampler and RNG state) at step 0 and every this many steps until the action is taken (0: step 0 only); the action resumes from the last one before the warning, so the same batches follow"),
        .field("stop_on_collapse", .bool, \.stopOnCollapse, default: .value(false),
               "end the run at the first evaluation whose verdict is collapsed, as **succeeded** with verdict `collapsed` and `stopped_on_collapse_at` in the result (through the worker, `collapse.detected` is recorded first)"),
    ], shorthands: ["on_warning": "action"], checks: [
        { spec, at in try ThreadsField.check(threads: spec.threads, blasThreads: spec.blasThreads, at: at) },
        { spec, at in
            let (p, k) = (spec.training.classesPerBatch, spec.training.samplesPerClass)
            if p > maxBatch || k > maxBatch || p * k > maxBatch {
                throw SpecError(path: "\(at).sampler", "classes_per_batch × samples_per_class = \(p * k) exceeds \(maxBatch)")
            }
            if spec.training.miner == .batchAll, let why = batchAllRefusal(classesPerBatch: p, samplesPerClass: k, loss: spec.training.loss.kind) {
                throw SpecError(path: "\(at).sampler", why)
            }
        },
        { spec, at in
            if spec.stopOnWarning && spec.onWarning != .none && spec.onWarning != .stop {
                throw SpecError(path: "\(at).on_warning.action", "'\(spec.onWarning.rawValue)' conflicts with stop_on_warning: true (the older spelling of on_warning.action \"stop\"); give one")
            }
            if spec.stopsOnWarning && !spec.training.estimators.enabled {
                throw SpecError(path: spec.stopOnWarning ? "\(at).stop_on_warning" : "\(at).on_warning.action",
                                "needs estimators.enabled: the verdict a stopped run ends with comes from the estimators")
            }
            if spec.onWarning == .switchMiner {
                if spec.onWarningMiner == spec.training.miner {
                    throw SpecError(path: "\(at).on_warning.miner", "'\(spec.onWarningMiner.rawValue)' is the run's miner already; name another")
                }
                if spec.onWarningMiner == .batchAll,
                   let why = batchAllRefusal(classesPerBatch: spec.training.classesPerBatch, samplesPerClass: spec.training.samplesPerClass,
                                                   loss: spec.training.loss.kind) {
                    throw SpecError(path: "\(at).on_warning.miner", why)
                }
            }
        },
        { spec, at in
            if spec.warningStride > spec.training.steps {
                throw SpecError(path: "\(at).warning.stride", "\(spec.warningStride) is larger than steps (\(spec.training.steps)); the signals would never be recorded after step 0")
            }
        },
        { spec, at in
            if spec.warningMechanismEvery > 0 && spec.warningMechanismEvery % spec.warningStride != 0 {
                throw SpecError(path: "\(at).warning.mechanism_every", "\(spec.warningMechanismEvery) is not a multiple of warning.stride (\(spec.warningStride)); the ratio is measured at signal records")
            }
        },
        { spec, at in
            let o = spec.training.optimizer
            if case .cosine(let minimum) = o.schedule, minimum > o.learningRate {
                throw SpecError(path: "\(at).optimizer.schedule.min_learning_rate", "must not exceed learning_rate \(o.learningRate)")
            }
        },
    ])
}
