// A sink that keeps everything in memory: for benchmarks and tests.
import Trainer

/// Keeps checkpoints, evaluations and the result in memory.
public final class MemorySink: ResultSink {
    public private(set) var checkpoints: [TrainingCheckpoint] = []
    public private(set) var evaluations: [EvaluationRecord] = []
    public private(set) var result: JobResult?
    /// Returned by `latestCheckpoint` (set it to resume).
    public var resumeFrom: TrainingCheckpoint?

    public init(resumeFrom: TrainingCheckpoint? = nil) { self.resumeFrom = resumeFrom }

    public func latestCheckpoint() throws -> TrainingCheckpoint? { resumeFrom }
    public func saveCheckpoint(_ checkpoint: TrainingCheckpoint) throws { checkpoints.append(checkpoint) }
    public func recordEvaluation(_ record: EvaluationRecord) throws { evaluations.append(record) }
    public func finish(_ result: JobResult) throws { self.result = result }
    public private(set) var artifacts: [String: [UInt8]] = [:]
    public func saveArtifact(_ name: String, _ bytes: [UInt8]) throws { artifacts[name] = bytes }
    /// Sinks of the sweep runs made through this sink, by child index.
    public private(set) var children: [Int: MemorySink] = [:]
    public func childSink(_ child: SweepChild) throws -> ResultSink {
        let sink = MemorySink()
        children[child.index] = sink
        return sink
    }
}
