// Analyze jobs end to end: shipped examples, NPY embeddings from the data root, and bad input.
import Foundation
import TestSupport
import Testing
import Datasets
import Estimators
import Linalg
import Trainer
@testable import Jobs

@Suite struct AnalyzeTests {
    /// A monitored series' step after a trained baseline is judged against the run's start as the monitor
    /// saw it (its first batch's κ, chance and queries; the batches' spread since), never against the
    /// trained baseline's κ; a stated reference_scale stays the user's reference.
    @Test func aTrainedBaselinesStepsAreJudgedAgainstTheMonitorsStart() {
        let chance = 0.33
        var x = DiagnosisInputs(precisionAt1: chance + 0.05 * (1 - chance), chancePrecisionAt1: chance, margin: 0.2, meanPairwiseDistance: 1.0,
                                allCoincide: false, referenceRatio: 1.0, reference: .seriesBaseline, effectiveRank: 3, dimension: 4, classes: 3)
        x.referenceKappa = 0.02
        x.referenceRows = 60
        #expect(Diagnosis(x).headline == "partial (still at chance)", "against the (trained) baseline, as before")
        let started = TrainedBefore(firstBatchKappa: 0.01, firstBatchChance: 3.0 / 31, firstBatchRows: 32, spreadRatio: 0.9)
        let judged = started.reference(x)
        #expect(judged.reference == .monitorBatches && judged.referenceRatio == 0.9 && judged.referenceKappa == 0.01
                && judged.referenceRows == 32 && judged.referenceChance == 3.0 / 31)
        #expect(Diagnosis(judged).headline == "partial (still at chance)")
        #expect(Diagnosis(TrainedBefore(firstBatchKappa: 0.01, firstBatchChance: 3.0 / 31, firstBatchRows: 32, spreadRatio: 0.3).reference(x)).headline
                == "collapsed (classes lost)", "contracted since the start")
        #expect(Diagnosis(TrainedBefore(firstBatchKappa: 0.8, firstBatchChance: 3.0 / 31, firstBatchRows: 32, spreadRatio: 0.9).reference(x)).headline
                == "collapsed (classes lost)", "the run started with its classes")
        let unknown = TrainedBefore(spreadRatio: 0.9).reference(x)
        #expect(unknown.referenceKappa == nil && unknown.reference == .seriesBaseline && Diagnosis(unknown).headline == "collapsed (classes lost)",
                "no first batch: the trained baseline's κ is no untrained reference")
        var stated = x
        (stated.reference, stated.referenceKappa, stated.referenceRows) = (.stated, nil, nil)
        #expect(started.reference(stated).reference == .stated && started.reference(stated).referenceRatio == 1.0)
    }

    @Test func toy20ExampleReportsTheEstimatorBlock() throws {
        let spec = try JobSpec.load(path: projectRoot + "/deploy/examples/analyze-toy20.json")
        guard case .analyzed(let r) = try Runner().run(spec, sink: MemorySink()) else { Issue.record("not analyzed"); return }
        let e = r.final.estimators
        #expect(r.dataset.rows == 20 && e.probe.size == 20 && !e.probe.subset)
        #expect(e.lHard > 0 && !e.separated)
        // Certified lower bounds: at least the hardest triplet's (less a rounding allowance), each naming its subset.
        #expect(e.dIso.lower >= e.lHard / 2 - 1e-12 && e.dHaus.lower >= e.lHard / 4 - 1e-12)
        #expect(e.dIso.lowerBound?.points.count == 3 && e.dHaus.lowerBound?.points.count == 3)
        #expect(r.final.diagnosis.verdict == r.verdict && !r.final.diagnosis.reasons.isEmpty)
        #expect(e.dIso.lower <= e.dIso.upper && e.dHaus.lower <= e.dHaus.upper)
        #expect(e.checks.isometricBracketOrdered && e.checks.hausdorffBracketOrdered && e.checks.theorem3 != .violated)
        #expect(e.thickness.exact && e.classThickness.count == 2)
        #expect(r.final.losses.points == 20 && r.final.losses.batchHard > 0 && r.final.losses.batchAll > 0)
        #expect(r.verdict == r.final.verdict)
        #expect(try JobSpec.parse(spec.json) == spec)
        // The timing says where the time went: each phase, then the estimators' parts.
        let parts = r.timing.parts.map(\.name)
        for phase in ["load", "retrieval metrics", "losses", "estimators", "estimators/exact distances", "estimators/separation",
                      "estimators/subset bounds", "estimators/f* first candidates", "estimators/f* start: f (isometric)",
                      "estimators/f* polishing", "estimators/f* certified in the input's frame", "estimators/thickness"] {
            #expect(parts.contains(phase), "no \(phase) in \(parts)")
        }
        #expect(r.timing.parts.allSatisfy { $0.seconds >= 0 && $0.seconds <= r.timing.totalSeconds + 1e-3 })
        let stored = try JSONDecoder().decode(AnalyzeTiming.self, from: JSONEncoder().encode(r.timing))
        #expect(stored == r.timing)
        #expect(try JSONDecoder().decode(AnalyzeTiming.self, from: Data(#"{"total_seconds": 2}"#.utf8)).parts.isEmpty)
    }

    /// Every phase spreads fixed blocks over the threads: the result is the same bits for any count.
    @Test func theResultIsTheSameForAnyThreadCount() throws {
        let dir = TempFolder()
        // 2,400 points (above the whole-set limit: a probe), 24 overlapping classes in R⁴⁰.
        var rng = SeededRNG(seed: 11)
        let (n, dim) = (2400, 40)
        var x = Matrix<Double>(rows: n, cols: dim)
        for i in 0..<n { for k in 0..<dim { x[i, k] = (i % 24 == k ? 1 : 0) + rng.normal() } }
        try Data(NPYWriter.encode(x)).write(to: URL(fileURLWithPath: dir.path + "/x.npy"))
        try Data(NPYWriter.encode(labels: (0..<n).map { $0 % 24 })).write(to: URL(fileURLWithPath: dir.path + "/y.npy"))
        // Each analysis in its own `isomine run` process, as a job runs: OpenBLAS's thread count is
        // process-wide, and tests running alongside in this process set it too.
        func result(_ threads: Int) throws -> JSONValue {
            let spec = dir.path + "/spec\(threads).json", out = dir.path + "/out\(threads)"
            try Data(#"{"kind":"analyze","dataset":{"type":"npy","features":"x.npy","labels":"y.npy"},"probe_size":600,"threads":\#(threads)}"#.utf8)
                .write(to: URL(fileURLWithPath: spec))
            let run = try IsomineBinary.run(["run", spec, "--out", out], environment: ["ISOMINE_DATA_ROOT": dir.path])
            #expect(run.status == 0, "\(run.err)")
            guard case .object(var r) = try JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: out + "/result.json"))) else { throw RunError("no result") }
            r["timing"] = nil
            r["spec"] = nil
            return .object(r)
        }
        /// The first path at which two results differ (for the failure message).
        func firstDifference(_ a: JSONValue, _ b: JSONValue, at path: String = "") -> String? {
            switch (a, b) {
            case (.object(let x), .object(let y)):
                for key in Set(x.keys).union(y.keys).sorted() {
                    guard let u = x[key], let v = y[key] else { return path + "." + key }
                    if let d = firstDifference(u, v, at: path + "." + key) { return d }
                }
                return nil
            case (.array(let x), .array(let y)):
                if x.count != y.count { return path }
                for (i, (u, v)) in zip(x, y).enumerated() { if let d = firstDifference(u, v, at: path + "[\(i)]") { return d } }
                return nil
            default: return a == b ? nil : "\(path): \(a) vs \(b)"
            }
        }
        let one = try result(1)
        for threads in [2, 3] {
            let other = try result(threads)
            #expect(other == one, "\(threads) threads: \(firstDifference(one, other) ?? "")")
        }
    }

    @Test func npyEmbeddingsFromTheDataRoot() throws {
        let dir = TempFolder()
        // Three well separated clusters spanning R³: separated, healthy, every bound 0.
        var values = [Float](), labels = [Int64]()
        let centres: [[Float]] = [[0, 0, 0], [10, 0, 0], [0, 10, 5]]
        for c in 0..<3 {
            for i in 0..<8 { values += [centres[c][0] + Float(i) * 0.01, centres[c][1] + Float(i % 2) * 0.01, centres[c][2]]; labels.append(Int64(c)) }
        }
        _ = FileManager.default.createFile(atPath: dir.path + "/embeddings.npy", contents: Data(npy(descr: "<f4", shape: [24, 3], payload: values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })))
        _ = FileManager.default.createFile(atPath: dir.path + "/labels.npy", contents: Data(npy(descr: "<i8", shape: [24], payload: labels.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) })))
        let r = try IsomineBinary.run(["run", projectRoot + "/deploy/examples/analyze-npy.json", "--out", dir.path + "/out"], environment: ["ISOMINE_DATA_ROOT": dir.path])
        #expect(r.status == 0, "\(r.err)")
        let json = try JSONValue.parse(try Data(contentsOf: URL(fileURLWithPath: dir.path + "/out/result.json")))
        #expect(json["kind"] == .string("analyze") && json["verdict"] == .string("healthy"))
        #expect(json["final"]?["estimators"]?["separated"] == .bool(true))
        #expect(json["final"]?["estimators"]?["d_iso"]?["upper"] == .number(0))
        #expect(json["final"]?["eval"]?["precision_at_1"] == .number(1))
    }

    /// A held-out set with lone classes (one point each: LFW's single-image identities, a gallery's
    /// distractors, a small random split) used to be refused ("class '10' has a single sample"). An
    /// analysis now takes it as pytorch-metric-learning does: a lone point is a neighbour of the others
    /// and no query; the estimators read the classes with a pair. The values are PML's on the same
    /// points (deploy/experiments/lone-classes/make_vectors.py). Fewer than two classes with a pair is
    /// refused by name, and training still needs a pair in every class.
    @Test func loneClassesAreAnalysedAsPMLTakesThem() throws {
        let dir = TempFolder()
        let points: [[Double]] = [[-0.977, -0.361], [1.063, -0.359], [-0.031, 1.333], [-0.582, 0.336], [0.112, 0.512], [-1.636, -1.26], [0.948, -2.883], [0.448, -1.217], [-1.053, 0.665], [0.351, -2.535], [-0.607, -0.911], [-0.871, -0.805], [-0.749, -0.82], [0.757, -2.163], [-0.479, -1.951], [0.217, 0.823], [-0.489, 1.814], [0.989, 3.156], [-1.233, 1.216], [0.737, 0.018], [-1.201, -1.028], [1.992, 1.225], [-0.169, -1.764], [-0.294, 2.566], [-2.444, -0.99], [-2.499, -2.055]]
        let labels: [Int] = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 10, 11, 12, 13, 14, 15]
        _ = FileManager.default.createFile(atPath: dir.path + "/lone.npy", contents: Data(NPYWriter.encode(Matrix<Double>(points))))
        _ = FileManager.default.createFile(atPath: dir.path + "/lonel.npy", contents: Data(NPYWriter.encode(labels: labels)))
        let spec = try JobSpec.parse(Data(#"{"kind":"analyze","dataset":{"type":"npy","features":"lone.npy","labels":"lonel.npy"},"margin":0.2,"threads":1}"#.utf8))
        guard case .analyzed(let r) = try Runner(dataRoot: DataRoot(path: dir.path)).run(spec, sink: MemorySink()) else { Issue.record("not analyzed"); return }
        #expect(abs(r.final.eval.precisionAt1 - 0.2) < 1e-12)
        #expect(abs(r.final.eval.rPrecision - 0.2875) < 1e-12)
        #expect(abs(r.final.eval.mapAtR - 0.17604166666666665) < 1e-12)
        // The points are stored as float32: the loss is PML's to float32 rounding.
        #expect(abs(r.final.losses.batchHard - 2.1054312658079164) < 1e-5, "\(r.final.losses.batchHard)")
        #expect(r.dataset.rows == 26 && r.dataset.classes == 10)
        #expect(r.final.estimators.probe.size == 20 && r.final.estimators.probe.of == 26, "the estimators read the four classes with a pair")
        // One class with a pair and lone points: nothing to tell that class from.
        _ = FileManager.default.createFile(atPath: dir.path + "/onepair.npy", contents: Data(NPYWriter.encode(labels: [0, 0, 1, 2, 3] + Array(repeating: 0, count: 21))))
        do {
            _ = try Runner(dataRoot: DataRoot(path: dir.path)).run(try JobSpec.parse(Data(#"{"kind":"analyze","dataset":{"type":"npy","features":"lone.npy","labels":"onepair.npy"}}"#.utf8)), sink: MemorySink())
            Issue.record("a set with one class with a pair was analysed")
        } catch let e as SpecError {
            #expect(e.description == "spec.dataset: has 1 class with two or more samples (of 4 classes; the others are single points); an analysis needs at least 2 (a positive pair, and a class to tell it from)", "\(e.description)")
        }
        // Training splits every class into train and test: a pair in each is still required.
        dir.write("lone.csv", "1,2,0\n3,4,0\n5,6,1\n7,8,1\n9,9,2\n")
        guard case .train(let t) = try JobSpec.parse(Data(#"{"kind":"train","dataset":{"type":"csv","path":"lone.csv"}}"#.utf8)) else { return }
        #expect(throws: SpecError.self) { _ = try Runner(dataRoot: DataRoot(path: dir.path)).prepare(t) }
    }

    /// pytorch-metric-learning's README loop gives the model's raw outputs to `TripletMarginLoss`, whose
    /// default `LpDistance()` L2-normalises them: the margin is on the sphere's scale. Seen on real PML runs
    /// (deploy/experiments/raw-outputs): six collapsed on the sphere (normalised spread 0.07–0.22 α, raw
    /// norms up to 3,300), and all 18 of their raw checkpoints read `partial`. `normalize` judges the
    /// embeddings as the loss sees them: the same result as the embeddings normalised by hand.
    @Test func rawOutputsOfALossThatNormalisesAreJudgedOnTheSphere() throws {
        let dir = TempFolder()
        var rng = SeededRNG(seed: 7)
        let dim = 16, classes = 10, perClass = 20
        func unit(_ v: [Double]) -> [Double] { let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot(); return v.map { $0 / n } }
        let u = unit((0..<dim).map { _ in Double.random(in: -1...1, using: &rng) })
        let centres = (0..<classes).map { _ in unit((0..<dim).map { _ in Double.random(in: -1...1, using: &rng) }) }
        var raw = [[Double]](), onSphere = [[Double]](), labels = [Int]()
        for c in 0..<classes {
            for _ in 0..<perClass {
                // Directions within ~0.02 of one point of the sphere, the classes still apart at that scale;
                // norms anywhere from 500 to 3,000, as a normalising loss leaves them.
                let d = unit((0..<dim).map { u[$0] + 0.02 * centres[c][$0] + 0.002 * Double.random(in: -1...1, using: &rng) })
                let r = exp(Double.random(in: log(500.0)...log(3000.0), using: &rng))
                raw.append(d.map { $0 * r }); onSphere.append(d); labels.append(c)
            }
        }
        _ = FileManager.default.createFile(atPath: dir.path + "/raw.npy", contents: Data(NPYWriter.encode(Matrix<Double>(raw))))
        _ = FileManager.default.createFile(atPath: dir.path + "/sphere.npy", contents: Data(NPYWriter.encode(Matrix<Double>(onSphere))))
        _ = FileManager.default.createFile(atPath: dir.path + "/labels.npy", contents: Data(NPYWriter.encode(labels: labels)))
        func analysed(_ file: String, normalize: Bool?) throws -> AnalyzeResult? {
            let option = normalize.map { #","normalize":\#($0)"# } ?? ""
            let spec = try JobSpec.parse(Data(#"{"kind":"analyze","dataset":{"type":"npy","features":"\#(file)","labels":"labels.npy"},"margin":0.2,"threads":1\#(option)}"#.utf8))
            guard case .analyzed(let r) = try Runner(dataRoot: DataRoot(path: dir.path)).run(spec, sink: MemorySink()) else { return nil }
            return r
        }
        guard let rawRead = try analysed("raw.npy", normalize: nil), let judged = try analysed("raw.npy", normalize: true),
              let byHand = try analysed("sphere.npy", normalize: nil), let again = try analysed("sphere.npy", normalize: true) else {
            Issue.record("not analyzed"); return
        }
        #expect(!rawRead.final.diagnosis.headline.contains("distances"), "the raw outputs' distances are thousands of margins: \(rawRead.final.diagnosis.headline)")
        // Read as given, the verdict says what normalising would show (context: the level is the raw reading's).
        let hint = rawRead.final.diagnosis.reasons.first { $0.code == .collapsedOnTheSphere }
        #expect(hint?.level == .healthy && hint?.message.contains("judge them with normalize") == true, "\(rawRead.final.diagnosis.reasons)")
        #expect(!judged.final.diagnosis.reasons.contains { $0.code == .collapsedOnTheSphere }, "normalised: nothing to hint")
        #expect(!byHand.final.diagnosis.reasons.contains { $0.code == .collapsedOnTheSphere }, "on the sphere already: its own distances say it")
        // The classes are still apart on the sphere: distances collapsed against α, triplet-separated.
        #expect(judged.final.diagnosis.headline == "partial (distances collapsed; classes separated)",
                "\(judged.final.diagnosis.headline) \(judged.final.diagnosis.evidence) \(judged.final.diagnosis.reasons)")
        #expect(judged.final.diagnosis.evidence.spreadOverMargin < 0.25, "\(judged.final.diagnosis.evidence.spreadOverMargin)")
        for other in [byHand, again] {
            #expect(other.final.diagnosis.headline == judged.final.diagnosis.headline)
            #expect(abs(other.final.eval.precisionAt1 - judged.final.eval.precisionAt1) < 1e-12)
            #expect(abs(other.final.diagnosis.evidence.spreadOverMargin - judged.final.diagnosis.evidence.spreadOverMargin) < 1e-4 * judged.final.diagnosis.evidence.spreadOverMargin)
        }
    }

    @Test func badAnalyzeInputIsNamed() throws {
        let dir = TempFolder()
        dir.write("nan.csv", "1,2,0\n3,nan,0\n5,6,1\n7,8,1\n")
        dir.write("one.csv", "1,2,0\n3,4,0\n5,6,0\n")
        let runner = Runner(dataRoot: DataRoot(path: dir.path))
        func error(_ json: String) -> String? {
            do { _ = try runner.run(try JobSpec.parse(Data(json.utf8)), sink: MemorySink()); return nil }
            catch let e as SpecError { return e.description } catch { return "\(error)" }
        }
        #expect(error(#"{"kind":"analyze","dataset":{"type":"csv","path":"nan.csv"}}"#) == "spec.dataset: row 1, column 1 is NaN; remove or impute non-finite values")
        #expect(error(#"{"kind":"analyze","dataset":{"type":"csv","path":"one.csv"}}"#) == "spec.dataset: has a single class ('0'); triplet loss needs at least 2 classes")
        #expect(error(#"{"kind":"analyze","dataset":{"type":"blobs","classes":10,"per_class":210,"dim":2},"probe_size":3000}"#) == "spec.probe_size: 3000 is larger than the set (2100 points)")
        #expect(error(#"{"kind":"analyze","dataset":{"type":"toy5"},"margin":-1}"#) == "spec.margin: must be a positive number")
        #expect(error(#"{"kind":"analyze","dataset":{"type":"toy5"},"margin":0}"#) == "spec.margin: must be a positive number")
        #expect(error(#"{"kind":"analyze","dataset":{"type":"toy5"},"steps":10}"#)?.hasPrefix("spec.steps: unknown field") == true)
    }
}
