// The job-spec decoder and validator: every bad input gets one line naming the field.
import Foundation
import TestSupport
import Triplets
import Testing
import Datasets
import Trainer
@testable import Jobs

func specError(_ json: String) -> String? {
    do {
        _ = try JobSpec.parse(Data(json.utf8))
        return nil
    } catch let e as SpecError {
        return e.description
    } catch {
        return "unexpected \(error)"
    }
}

@Suite struct SpecValidationTests {
    @Test func referenceSpecIsTheShippedExample() throws {
        let example = try JobSpec.load(path: projectRoot + "/deploy/examples/digits-batch-hard.json")
        let embedded = try JobSpec.parse(Data(ReferenceSpec.json.utf8))
        #expect(example == embedded)
        guard case .train(let t) = example else { Issue.record("not train"); return }
        #expect(t.dataset == .digits && t.split == .byInstance(testFraction: 0.3) && t.standardize)
        #expect(t.training.model.hidden == [256, 256] && t.training.model.embeddingDim == 64 && t.training.model.normalize)
        #expect(t.training.miner == .batchHard && t.training.loss == TripletLossConfig(kind: .hinge, margin: 0.2, distance: .euclidean))
        #expect(t.training.classesPerBatch == 8 && t.training.samplesPerClass == 16)
        #expect(t.training.optimizer == OptimizerConfig(kind: .adam, learningRate: 1e-3))
        #expect(t.training.steps == 2000 && t.threads == 1 && t.blasThreads == nil && t.training.seed == 0)
    }

    @Test func normalisedSpecParsesBackToItself() throws {
        let specs = [
            ReferenceSpec.json,
            #"{"kind":"train","dataset":{"type":"blobs","classes":3},"optimizer":{"type":"sgd","schedule":{"type":"step","step_size":5}},"loss":{"type":"soft","distance":"squared"}}"#,
            #"{"kind":"train","dataset":{"type":"csv","path":"a.csv","label_column":"y","header":true},"split":{"by":"class"},"optimizer":{"schedule":{"type":"cosine","min_learning_rate":1e-5}}}"#,
            #"{"kind":"train","dataset":{"type":"npy","features":"x.npy","labels":"y.npy"},"miner":"semi-hard","name":"n"}"#,
        ]
        for text in specs {
            let spec = try JobSpec.parse(Data(text.utf8))
            #expect(try JobSpec.parse(spec.json) == spec)
        }
    }

    /// `"on_warning": "switch_miner"` is short for `{"action": "switch_miner"}`, in a spec and in a sweep's grid;
    /// the echo is the object.
    @Test func aBareActionIsShortForTheOnWarningObject() throws {
        for action in ["stop", "switch_miner", "lower_learning_rate"] {
            let short = try JobSpec.parse(Data(#"{"kind":"train","dataset":{"type":"digits"},"on_warning":"\#(action)"}"#.utf8))
            let long = try JobSpec.parse(Data(#"{"kind":"train","dataset":{"type":"digits"},"on_warning":{"action":"\#(action)"}}"#.utf8))
            #expect(short == long && short.json == long.json, "\(action)")
            #expect(short.json["on_warning"]?["action"] == .string(action))
        }
        let sweep = try JobSpec.parse(Data(#"{"kind":"sweep","base":{"dataset":{"type":"digits"}},"grid":{"on_warning":["none","switch_miner"],"seed":[0]}}"#.utf8))
        guard case .sweep(let s) = sweep else { Issue.record("not a sweep"); return }
        #expect(s.children.map { $0.spec.onWarning } == [.none, .switchMiner])
        // A base in the short form takes grid values inside it.
        let factors = try JobSpec.parse(Data(#"{"kind":"sweep","base":{"dataset":{"type":"digits"},"on_warning":"lower_learning_rate"},"grid":{"on_warning.factor":[0.1,0.5],"seed":[0]}}"#.utf8))
        guard case .sweep(let f) = factors else { Issue.record("not a sweep"); return }
        #expect(f.children.map { $0.spec.onWarning } == [.lowerLearningRate, .lowerLearningRate])
        #expect(f.children.map { $0.spec.onWarningFactor } == [0.1, 0.5])
    }

    @Test func badSpecsNameTheField() {
        let cases: [(String, String)] = [
            ("", "spec: the file is empty; expected a JSON object"),
            ("{", "spec: is not valid JSON (Unexpected end of file during JSON parse.)"),
            ("[1]", "spec: must be an object, got an array"),
            (#"{}"#, "spec.kind: is required"),
            (#"{"kind":"fit"}"#, "spec.kind: unknown job kind 'fit'; expected one of train, analyze, sweep"),
            (#"{"kind":3}"#, "spec.kind: must be a string, got a number"),
            (#"{"kind":"train"}"#, "spec.dataset: is required"),
            (#"{"kind":"train","dataset":{"type":"mnist"}}"#, "spec.dataset.type: unknown dataset 'mnist'; expected one of digits, blobs, toy5, toy20, npy, csv, stored, stored_csv"),
            (#"{"kind":"train","dataset":{"type":"digits","path":"x"}}"#, "spec.dataset.path: only applies to dataset type csv"),
            (#"{"kind":"train","dataset":{"type":"digits"},"stepz":10}"#, "spec.stepz: unknown field; known fields here: blas_threads, checkpoint_every, dataset, estimators, eval_every, kind, loss, miner, model, name, on_warning, optimizer, queue, sampler, seed, split, standardize, steps, stop_on_collapse, stop_on_warning, threads, warning"),
            (#"{"kind":"train","dataset":{"type":"digits"},"model":{"hiden":[3]}}"#, "spec.model.hiden: unknown field; known fields here: embedding_dim, hidden, normalize"),
            (#"{"kind":"train","dataset":{"type":"digits"},"steps":"100"}"#, "spec.steps: must be an integer, got a string"),
            (#"{"kind":"train","dataset":{"type":"digits"},"steps":2.5}"#, "spec.steps: must be an integer, got 2.5"),
            (#"{"kind":"train","dataset":{"type":"digits"},"steps":0}"#, "spec.steps: must be between 1 and 100000000, got 0"),
            (#"{"kind":"train","dataset":{"type":"digits"},"steps":true}"#, "spec.steps: must be an integer, got a boolean"),
            (#"{"kind":"train","dataset":{"type":"digits"},"miner":"hard"}"#, "spec.miner: unknown miner 'hard'; expected one of batch-hard, batch-all, semi-hard, easy-positive, random, hardest-triplet, collapse-aware"),
            (#"{"kind":"train","dataset":{"type":"digits"},"on_warning":{"action":"switch_miner","miner":"hardest"}}"#, "spec.on_warning.miner: unknown miner 'hardest'; expected one of batch-hard, batch-all, semi-hard, easy-positive, random, hardest-triplet, collapse-aware"),
            (#"{"kind":"train","dataset":{"type":"digits"},"on_warning":{"action":"switch_miner","miner":"batch-hard"}}"#, "spec.on_warning.miner: 'batch-hard' is the run's miner already; name another"),
            (#"{"kind":"train","dataset":{"type":"digits"},"loss":{"type":"soft"},"sampler":{"classes_per_batch":8,"samples_per_class":64},"on_warning":{"action":"switch_miner","miner":"batch-all"}}"#, "spec.on_warning.miner: batch-all with the soft loss would list 14450688 triplets from a 8 × 64 batch (B·(K − 1)·(B − K)), more than 4194304; use fewer classes_per_batch or samples_per_class, or the hinge loss (which counts them without a list)"),
            (#"{"kind":"train","dataset":{"type":"digits"},"on_warning":{"action":"lower_learning_rate","factor":0}}"#, "spec.on_warning.factor: must be strictly between 0 and 1"),
            (#"{"kind":"train","dataset":{"type":"digits"},"on_warning":{"action":"lower_learning_rate","factor":1}}"#, "spec.on_warning.factor: must be strictly between 0 and 1"),
            (#"{"kind":"train","dataset":{"type":"digits"},"on_warning":{"action":"lower_learning_rate","factor":-0.5}}"#, "spec.on_warning.factor: must be strictly between 0 and 1"),
            (#"{"kind":"train","dataset":{"type":"digits"},"on_warning":{"action":"switch_miner","factor":0.5}}"#, "spec.on_warning.factor: only applies to on_warning.action lower_learning_rate"),
            (#"{"kind":"train","dataset":{"type":"digits"},"on_warning":{"miner":"semi-hard"}}"#, "spec.on_warning.miner: only applies to on_warning.action switch_miner"),
            (#"{"kind":"train","dataset":{"type":"digits"},"on_warning":{"action":"stop","rewind_every":5}}"#, "spec.on_warning.rewind_every: only applies to on_warning.action switch_miner or lower_learning_rate"),
            (#"{"kind":"train","dataset":{"type":"digits"},"on_warning":{"action":"pause"}}"#, "spec.on_warning.action: unknown on_warning action 'pause'; expected one of none, stop, switch_miner, lower_learning_rate"),
            (#"{"kind":"train","dataset":{"type":"digits"},"on_warning":"pause"}"#, "spec.on_warning.action: unknown on_warning action 'pause'; expected one of none, stop, switch_miner, lower_learning_rate"),
            (#"{"kind":"train","dataset":{"type":"digits"},"on_warning":true}"#, "spec.on_warning: must be an object, got a boolean"),
            (#"{"kind":"train","dataset":{"type":"digits"},"estimators":{"enabled":false},"on_warning":"stop"}"#, "spec.on_warning.action: needs estimators.enabled: the verdict a stopped run ends with comes from the estimators"),
            (#"{"kind":"train","dataset":{"type":"digits"},"estimators":{"enabled":false},"on_warning":{"action":"stop"}}"#, "spec.on_warning.action: needs estimators.enabled: the verdict a stopped run ends with comes from the estimators"),
            (#"{"kind":"train","dataset":{"type":"digits"},"stop_on_warning":true,"on_warning":{"action":"switch_miner"}}"#, "spec.on_warning.action: 'switch_miner' conflicts with stop_on_warning: true (the older spelling of on_warning.action \"stop\"); give one"),
            (#"{"kind":"train","dataset":{"type":"digits"},"sampler":{"samples_per_class":1}}"#, "spec.sampler.samples_per_class: must be at least 2"),
            (#"{"kind":"train","dataset":{"type":"digits"},"sampler":{"classes_per_batch":1}}"#, "spec.sampler.classes_per_batch: must be at least 2"),
            (#"{"kind":"train","dataset":{"type":"digits"},"miner":"batch-all","loss":{"type":"soft"},"sampler":{"classes_per_batch":100,"samples_per_class":8}}"#, "spec.sampler: batch-all with the soft loss would list 4435200 triplets from a 100 × 8 batch (B·(K − 1)·(B − K)), more than 4194304; use fewer classes_per_batch or samples_per_class, or the hinge loss (which counts them without a list)"),
            (#"{"kind":"train","dataset":{"type":"digits"},"loss":{"margin":-1}}"#, "spec.loss.margin: must be a positive number"),
            (#"{"kind":"train","dataset":{"type":"digits"},"loss":{"margin":0}}"#, "spec.loss.margin: must be a positive number"),
            (#"{"kind":"train","dataset":{"type":"digits"},"loss":{"type":"contrastive"}}"#, "spec.loss.type: unknown loss 'contrastive'; expected one of hinge, soft"),
            (#"{"kind":"train","dataset":{"type":"digits"},"model":{"hidden":[0]}}"#, "spec.model.hidden[0]: must be between 1 and 65536, got 0"),
            (#"{"kind":"train","dataset":{"type":"digits"},"model":{"hidden":"256"}}"#, "spec.model.hidden: must be an array of integers, got a string"),
            (#"{"kind":"train","dataset":{"type":"digits"},"model":{"normalize":"yes"}}"#, "spec.model.normalize: must be true or false, got a string"),
            (#"{"kind":"train","dataset":{"type":"digits"},"optimizer":{"learning_rate":0}}"#, "spec.optimizer.learning_rate: must be greater than 0 and at most 10"),
            (#"{"kind":"train","dataset":{"type":"digits"},"optimizer":{"momentum":0.9}}"#, "spec.optimizer.momentum: only applies to optimizer type sgd"),
            (#"{"kind":"train","dataset":{"type":"digits"},"optimizer":{"type":"rmsprop"}}"#, "spec.optimizer.type: unknown optimizer 'rmsprop'; expected one of adam, sgd"),
            (#"{"kind":"train","dataset":{"type":"digits"},"optimizer":{"schedule":{"type":"step"}}}"#, "spec.optimizer.schedule.step_size: is required"),
            (#"{"kind":"train","dataset":{"type":"digits"},"split":{"test_fraction":1}}"#, "spec.split.test_fraction: must be strictly between 0 and 1"),
            (#"{"kind":"train","dataset":{"type":"digits"},"split":{"by":"random"}}"#, "spec.split.by: unknown split 'random'; expected one of instance, class"),
            (#"{"kind":"train","dataset":{"type":"npy","features":"x.npy"}}"#, "spec.dataset.labels: is required"),
            (#"{"kind":"train","dataset":{"type":"blobs","classes":1}}"#, "spec.dataset.classes: must be between 2 and 10000, got 1"),
            (#"{"kind":"train","dataset":{"type":"digits"},"blas_threads":0}"#, "spec.blas_threads: must be between 1 and 256, got 0"),
            (#"{"kind":"train","dataset":{"type":"digits"},"threads":0}"#, "spec.threads: must be between 1 and 256, got 0"),
            (#"{"kind":"train","dataset":{"type":"digits"},"threads":-2}"#, "spec.threads: must be between 1 and 256, got -2"),
            (#"{"kind":"train","dataset":{"type":"digits"},"threads":257}"#, "spec.threads: must be between 1 and 256, got 257"),
            (#"{"kind":"train","dataset":{"type":"digits"},"threads":1.5}"#, "spec.threads: must be an integer, got 1.5"),
            (#"{"kind":"train","dataset":{"type":"digits"},"threads":2,"blas_threads":2}"#, "spec.blas_threads: is the older name of threads; give one of them"),
            (#"{"kind":"analyze","dataset":{"type":"digits"},"threads":0}"#, "spec.threads: must be between 1 and 256, got 0"),
            (#"{"kind":"analyze","dataset":{"type":"digits"},"threads":300}"#, "spec.threads: must be between 1 and 256, got 300"),
            (#"{"kind":"analyze","dataset":{"type":"digits"},"threads":1,"blas_threads":1}"#, "spec.blas_threads: is the older name of threads; give one of them"),
            (#"{"kind":"train","dataset":{"type":"digits"},"seed":-1}"#, "spec.seed: must be between 0 and 9007199254740992, got -1"),
        ]
        for (json, message) in cases {
            #expect(specError(json) == message, "\(json)")
        }
    }

    /// With the soft loss batch-all's limit is the triplets it lists, not B: the collapse grid's 10 × 32
    /// batch (2,856,960 triplets) and the largest batches of 256 are accepted, as miner and as
    /// on_warning.miner. With the hinge loss (the default) it counts them: every batch up to 4096.
    @Test func batchAllTakesEveryBatchWhoseTripletsFit() {
        for (p, k) in [(10, 32), (2, 128), (16, 16), (32, 16)] {
            #expect(specError(#"{"kind":"train","dataset":{"type":"digits"},"miner":"batch-all","loss":{"type":"soft"},"sampler":{"classes_per_batch":\#(p),"samples_per_class":\#(k)}}"#) == nil, "\(p) × \(k)")
            #expect(specError(#"{"kind":"train","dataset":{"type":"digits"},"loss":{"type":"soft"},"sampler":{"classes_per_batch":\#(p),"samples_per_class":\#(k)},"on_warning":{"action":"switch_miner","miner":"batch-all"}}"#) == nil, "\(p) × \(k)")
        }
        for (p, k) in [(100, 8), (8, 64), (64, 64), (16, 256)] {
            #expect(specError(#"{"kind":"train","dataset":{"type":"digits"},"miner":"batch-all","sampler":{"classes_per_batch":\#(p),"samples_per_class":\#(k)}}"#) == nil, "\(p) × \(k)")
            #expect(specError(#"{"kind":"train","dataset":{"type":"digits"},"sampler":{"classes_per_batch":\#(p),"samples_per_class":\#(k)},"on_warning":{"action":"switch_miner","miner":"batch-all"}}"#) == nil, "\(p) × \(k)")
        }
    }

    @Test func aKeyNamedTwiceIsNamed() {
        let base = #""kind":"train","dataset":{"type":"digits"}"#
        #expect(specError(#"{\#(base),"warning":{"risk":false},"warning":{"risk":true}}"#) == #"spec: names "warning" twice; JSON keeps only one of the two values, so a field is named once"#)
        #expect(specError(#"{\#(base),"warning":{"risk":false,"stride":2,"risk":true}}"#) == #"spec.warning: names "risk" twice; JSON keeps only one of the two values, so a field is named once"#)
        // Keys are compared decoded, inside arrays too; the same key in sibling objects is fine.
        #expect(specError(#"{"kind":"sweep","base":{\#(base)},"grid":{"seed":[1,2]},"gr\u0069d":{}}"#) == #"spec: names "grid" twice; JSON keeps only one of the two values, so a field is named once"#)
        #expect(specError(#"{"kind":"train","dataset":{"type":"npy","features":"a.npy","labels":"b.npy"},"model":{"hidden":[{"a":1,"a":2}]}}"#)?.hasPrefix(#"spec.model.hidden[0]: names "a" twice"#) == true)
        #expect(specError(#"{\#(base),"model":{"hidden":[8]},"optimizer":{"hidden":1}}"#)?.contains("twice") != true)
        #expect(specError(#"{\#(base),"name":"a \"kind\": b","model":{"hidden":[8]}}"#) == nil)
    }

    @Test func dataProblemsAreSpecErrorsToo() throws {
        let dir = TempFolder()
        dir.write("nan.csv", "1,2,0\n3,nan,0\n5,6,1\n7,8,1\n")
        dir.write("one.csv", "1,2,0\n3,4,0\n5,6,0\n")
        dir.write("single.csv", "1,2,0\n3,4,0\n5,6,1\n7,8,2\n9,9,2\n")
        let runner = Runner(dataRoot: DataRoot(path: dir.path))
        func prepareError(_ dataset: String, extra: String = "") throws -> String? {
            guard case .train(let t) = try JobSpec.parse(Data(#"{"kind":"train","dataset":\#(dataset)\#(extra)}"#.utf8)) else { return nil }
            do { _ = try runner.prepare(t); return nil } catch let e as SpecError { return e.description }
        }
        #expect(try prepareError(#"{"type":"csv","path":"nan.csv"}"#) == "spec.dataset: row 1, column 1 is NaN; remove or impute non-finite values")
        #expect(try prepareError(#"{"type":"csv","path":"one.csv"}"#) == "spec.dataset: has a single class ('0'); triplet loss needs at least 2 classes")
        #expect(try prepareError(#"{"type":"csv","path":"single.csv"}"#) == "spec.dataset: class '1' has a single sample; every class needs at least 2 (a positive pair)")
        #expect(try prepareError(#"{"type":"csv","path":"../etc/passwd"}"#)?.hasPrefix("spec.dataset.path: '../etc/passwd' contains '..'") == true)
        #expect(try prepareError(#"{"type":"csv","path":"/etc/passwd"}"#)?.hasPrefix("spec.dataset.path: '/etc/passwd' is absolute") == true)
        #expect(try prepareError(#"{"type":"npy","features":"x.npy","labels":"y.npy"}"#)?.hasPrefix("spec.dataset.features: 'x.npy' does not exist under the data root") == true)
        #expect(try prepareError(#"{"type":"digits"}"#, extra: #","model":{"hidden":[65536,65536]}"#) == "spec.model: 4303487040 parameters for 64 input features exceeds the limit of 100000000")
        #expect(try prepareError(#"{"type":"digits"}"#, extra: #","sampler":{"classes_per_batch":12}"#) == "spec.sampler.classes_per_batch: 12 exceeds the 10 classes of the training split")
        #expect(try prepareError(#"{"type":"digits"}"#, extra: #","split":{"by":"class","test_fraction":0.5},"sampler":{"classes_per_batch":6}"#) == "spec.sampler.classes_per_batch: 6 exceeds the 5 classes of the training split")
    }
}
