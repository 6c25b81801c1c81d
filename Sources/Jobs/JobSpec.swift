// The job spec: the one decoder and validator used by `isomine run`, `validate` and (later) the worker.
import Foundation

/// A validated job (`sweep` comes with the daemon).
public enum JobSpec: Sendable, Equatable {
    case train(TrainSpec)
    case analyze(AnalyzeSpec)

    /// Kinds the decoder knows.
    public static let kinds = ["train", "analyze"]

    /// Parses and validates spec JSON text.
    public static func parse(_ data: Data) throws -> JobSpec {
        try parse(try JSONValue.parse(data))
    }

    /// Validates a JSON value; throws a `SpecError` naming the first bad field.
    public static func parse(_ value: JSONValue) throws -> JobSpec {
        let r = try SpecReader(value, path: "spec")
        let kind = try r.string("kind")
        guard kinds.contains(kind) else {
            let planned = kind == "sweep" ? " ('sweep' jobs are not implemented yet)" : ""
            throw SpecError(path: "spec.kind", "unknown job kind '\(kind)'; expected one of \(kinds.joined(separator: ", "))\(planned)")
        }
        return kind == "train" ? .train(try TrainSpec.parse(r)) : .analyze(try AnalyzeSpec.parse(r))
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
        }
    }
}
