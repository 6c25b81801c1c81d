// A corpus of real training runs (checkpoints of PyTorch + pytorch-metric-learning models, made by
// deploy/corpus/make_real_runs.py) run through the verdict exactly as analyze jobs are.
import Datasets
import Estimators
import Foundation
import Isometry
import Logging

/// One checkpoint of the corpus, as its manifest lists it.
public struct CorpusCheckpoint: Sendable, Decodable {
    public var run: String
    public var family: String
    public var epoch: Int
    /// The untrained network (epoch 0): analysed with `untrained`.
    public var untrained: Bool
    /// Paths relative to the corpus folder.
    public var embeddings: String
    public var labels: String
    public var margin: Double
    /// The verdict the manifest's criterion gives (independent of isomine's rule).
    public var expected: VerdictLevel
}

/// A checkpoint and the verdict isomine gave it.
public struct CorpusCase: Sendable {
    public var checkpoint: CorpusCheckpoint
    public var got: VerdictLevel
    public var headline: String
    /// Codes of the reasons that lowered the verdict.
    public var reasons: [String]
}

public enum RealRunCorpus {
    struct Manifest: Decodable {
        var version: Int
        var checkpoints: [CorpusCheckpoint]
    }

    /// Reads `DIR/manifest.json`, checking every entry before any analysis: a missing or malformed manifest,
    /// an entry without a field, a margin ≤ 0, an unknown verdict or a missing file is an error naming the
    /// file (and the entry).
    public static func load(_ directory: String) throws -> [CorpusCheckpoint] {
        let path = (directory as NSString).appendingPathComponent("manifest.json")
        let field = "corpus \(path)"
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DatasetError(field: "corpus \(directory)", "is not a folder")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DatasetError(field: field, "is missing: a corpus folder holds manifest.json (see deploy/corpus/make_real_runs.py)")
        }
        let manifest: Manifest
        do {
            manifest = try JSONDecoder().decode(Manifest.self, from: data)
        } catch DecodingError.dataCorrupted(let context) {
            throw DatasetError(field: field, "is not valid JSON (\(context.debugDescription))")
        } catch DecodingError.keyNotFound(let key, let context) {
            throw DatasetError(field: field, "\(location(context.codingPath)) has no '\(key.stringValue)'")
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            throw DatasetError(field: field, "\(location(context.codingPath)): \(context.debugDescription)")
        }
        guard manifest.version == 1 else { throw DatasetError(field: field, "has version \(manifest.version); this isomine reads version 1") }
        guard !manifest.checkpoints.isEmpty else { throw DatasetError(field: field, "lists no checkpoints") }
        for (i, c) in manifest.checkpoints.enumerated() {
            guard SpecLimits.isSeriesName(c.run) else {
                throw DatasetError(field: field, "checkpoints[\(i)].run '\(c.run.prefix(100))' is not a run name (1–100 of A-Z a-z 0-9 _ . -)")
            }
            guard c.margin > 0 && c.margin.isFinite else {
                throw DatasetError(field: field, "checkpoints[\(i)].margin is \(c.margin); a margin must be greater than 0")
            }
            for file in [c.embeddings, c.labels] {
                guard !file.hasPrefix("/"), !file.split(separator: "/").contains(".."),
                      FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent(file)) else {
                    throw DatasetError(field: field, "checkpoints[\(i)] names '\(file)', which is not a file inside the corpus folder")
                }
            }
        }
        return manifest.checkpoints
    }

    static func location(_ path: [CodingKey]) -> String {
        path.isEmpty ? "the document" : path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: ["."])
    }

    /// The runs' first checkpoints, as the baselines of series.
    struct Baselines: SeriesBaselines {
        let first: [String: (step: Int, dataset: DatasetSource)]
        func baseline(of series: String, named: Int?) throws -> (step: Int, dataset: DatasetSource)? { first[series] }
    }

    /// Analyses every checkpoint as a series step would be — the run a series, its first epoch (the
    /// untrained epoch 0) the baseline — with its margin, and returns the verdicts. `iterations` is the
    /// f* search's (the verdict does not read f*).
    public static func run(_ directory: String, iterations: Int = 0, progress: (Int, Int) -> Void = { _, _ in }) throws -> [CorpusCase] {
        let checkpoints = try load(directory)
        var logger = Logger(label: "isomine.corpus")
        logger.logLevel = .warning
        var first = [String: (step: Int, dataset: DatasetSource)]()
        for c in checkpoints where first[c.run].map({ c.epoch < $0.step }) ?? true {
            first[c.run] = (c.epoch, .npy(features: c.embeddings, labels: c.labels))
        }
        let runner = Runner(dataRoot: DataRoot(path: directory), logger: logger, baselines: Baselines(first: first))
        var cases = [CorpusCase]()
        for (i, c) in checkpoints.enumerated() {
            progress(i, checkpoints.count)
            var spec = AnalyzeSpec(dataset: .npy(features: c.embeddings, labels: c.labels), margin: c.margin, probeSize: 2000, iterations: iterations,
                                   seed: 0, referenceScale: nil, threads: 1)
            spec.untrained = c.untrained
            spec.name = "\(c.run) epoch \(c.epoch)"
            spec.series = c.run
            spec.step = c.epoch
            let result: AnalyzeResult
            do {
                result = try runner.runAnalyze(spec).0
            } catch let e as SpecError {
                throw DatasetError(field: "corpus \(c.embeddings)", e.message)
            }
            cases.append(CorpusCase(checkpoint: c, got: result.verdict, headline: result.final.diagnosis.headline,
                                    reasons: result.final.diagnosis.reasons.filter { $0.level > .healthy }.map(\.code.rawValue)))
        }
        return cases
    }
}
