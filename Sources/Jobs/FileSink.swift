// The sink of `isomine run`: DIR/result.json and DIR/checkpoint.bin, each written atomically.
import Foundation
import Trainer

/// Writes a job's outputs into one directory.
public final class FileSink: ResultSink {
    public let directory: String
    /// Whether `latestCheckpoint` returns DIR/checkpoint.bin (set for `--resume`).
    public let resume: Bool
    /// With `resume`: a missing checkpoint means "start afresh" instead of an error (runs of a resumed sweep).
    let checkpointOptional: Bool

    public var resultPath: String { directory + "/result.json" }
    public var checkpointPath: String { directory + "/checkpoint.bin" }

    /// Creates the directory if needed; throws if it cannot be used.
    /// `checkpointOptional`: with `resume`, a missing checkpoint means "start afresh" (runs of a resumed sweep).
    public init(directory: String, resume: Bool = false, checkpointOptional: Bool = false) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDir) {
            guard isDir.boolValue else { throw RunError("--out: \(directory) exists and is not a directory") }
        } else {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw RunError("--out: cannot create \(directory): \(error.localizedDescription)")
            }
        }
        self.directory = directory
        self.resume = resume
        self.checkpointOptional = checkpointOptional
    }

    public func latestCheckpoint() throws -> TrainingCheckpoint? {
        guard resume else { return nil }
        guard FileManager.default.fileExists(atPath: checkpointPath) else {
            if checkpointOptional { return nil }
            throw RunError("--resume: no checkpoint at \(checkpointPath) (set checkpoint_every in the spec to write one)")
        }
        return try TrainingCheckpoint.read(from: checkpointPath)
    }

    public func saveCheckpoint(_ checkpoint: TrainingCheckpoint) throws {
        try checkpoint.write(to: checkpointPath)
    }

    public func recordEvaluation(_ record: EvaluationRecord) throws {}

    /// Run N of a sweep writes into DIR/runs/NNN (so `--resume` finds it again).
    public func childSink(_ child: SweepChild) throws -> ResultSink {
        try FileSink(directory: directory + "/runs/" + String(format: "%03d", child.index), resume: resume, checkpointOptional: true)
    }

    /// With `resume`, the result.json a previous invocation completed.
    public func completedResult() throws -> JSONValue? {
        guard resume, let data = FileManager.default.contents(atPath: resultPath) else { return nil }
        do {
            return try JSONValue.parse(data)
        } catch {
            throw RunError("--resume: \(resultPath) is not valid JSON; delete it to run again")
        }
    }

    /// DIR/artifacts/NAME, written atomically.
    public func saveArtifact(_ name: String, _ bytes: [UInt8]) throws {
        let dir = directory + "/artifacts"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path + ".tmp"))
        guard rename(path + ".tmp", path) == 0 else { throw RunError("cannot write \(path): \(String(cString: strerror(errno)))") }
    }

    public func finish(_ result: JobResult) throws {
        let data = try result.json().serialized()
        let tmp = resultPath + ".tmp"
        try data.write(to: URL(fileURLWithPath: tmp))
        guard rename(tmp, resultPath) == 0 else { throw RunError("cannot write \(resultPath): \(String(cString: strerror(errno)))") }
        // The run is complete: a stale checkpoint would only invite resuming a finished run.
        try? FileManager.default.removeItem(atPath: checkpointPath)
    }
}

/// A failure of a run that is not a spec error (I/O, a bad checkpoint, divergence).
public struct RunError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
