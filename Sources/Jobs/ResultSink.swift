// Where a running job's outputs go: files for `isomine run`, database rows for the worker (later).
import Trainer

/// Receives a job's checkpoints, evaluations and result. The Runner calls it on the job's thread.
public protocol ResultSink: AnyObject {
    /// The checkpoint to resume from, if any.
    func latestCheckpoint() throws -> TrainingCheckpoint?
    func saveCheckpoint(_ checkpoint: TrainingCheckpoint) throws
    func recordEvaluation(_ record: EvaluationRecord) throws
    func finish(_ result: JobResult) throws
}
