// The job spec: the one decoder and validator used by `isomine run`, `validate`, `enqueue` and the worker.
import Vocabulary
import Foundation

/// A validated job.
public enum JobSpec: Sendable, Equatable {
    case train(TrainSpec)
    case analyze(AnalyzeSpec)
    /// A grid of train runs (every child spec already validated).
    case sweep(SweepSpec)

    /// Kinds the decoder knows.
    public static let kinds = JobKind.allCases.map(\.rawValue)

    /// Parses and validates spec JSON text.
    public static func parse(_ data: Data) throws -> JobSpec {
        try parse(try JSONValue.parse(data))
    }

    /// Validates a JSON value; throws a `SpecError` naming the first bad field.
    public static func parse(_ value: JSONValue) throws -> JobSpec {
        let r = try SpecReader(value, path: "spec")
        let kind = try r.string("kind")
        switch kind {
        case "train": return .train(try TrainSpec.parse(r))
        case "analyze": return .analyze(try AnalyzeSpec.parse(r))
        case "sweep": return .sweep(try SweepSpec.parse(r))
        default: throw SpecError(path: "spec.kind", "unknown job kind '\(kind)'; expected one of \(kinds.joined(separator: ", "))")
        }
    }

    /// Reads and parses a spec file.
    public static func load(path: String) throws -> JobSpec {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
                throw SpecError(path: "spec", isDir.boolValue ? "\(path) is a directory" : "cannot read \(path)")
            }
            throw SpecError(path: "spec", "file \(path) does not exist")
        }
        return try parse(data)
    }

    /// The normalised spec (all defaults filled in) as JSON.
    public var json: JSONValue {
        switch self {
        case .train(let t): return t.json
        case .analyze(let a): return a.json
        case .sweep(let s): return s.json
        }
    }
}
