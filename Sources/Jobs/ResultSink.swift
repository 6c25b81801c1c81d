// Where a running job's outputs go: files for `isomine run`, database rows for the worker.
import CollapseSignals
import Trainer

/// Receives a job's checkpoints, evaluations and result. The Runner calls it on the job's thread.
public protocol ResultSink: AnyObject {
    /// The checkpoint to resume from, if any.
    func latestCheckpoint() throws -> TrainingCheckpoint?
    func saveCheckpoint(_ checkpoint: TrainingCheckpoint) throws
    func recordEvaluation(_ record: EvaluationRecord) throws
    func finish(_ result: JobResult) throws
    /// Stores one artifact (written before `finish`; a retried job overwrites it).
    func saveArtifact(_ name: String, _ bytes: [UInt8]) throws
    /// Records a train run's per-step signals (at the spec's warning stride).
    func recordSignals(_ signals: StepSignals) throws
    /// Records the run's collapse warning (once per run; the worker announces `collapse.warning`) with
    /// what the run did on it (`on_warning`: the action taken, or that it stopped; nil: nothing).
    func recordWarning(_ warning: CollapseWarning, onWarning: WarningIntervention?) throws
    /// Records an analysis' provisional verdict (before its f* search; never announced).
    func recordProvisional(_ verdict: ProvisionalVerdict) throws
    /// The sink of one run of a sweep executed in this process (`isomine run` of a sweep).
    func childSink(_ child: SweepChild) throws -> ResultSink
    /// The result this sink already holds from an earlier, completed run (a resumed sweep skips it).
    func completedResult() throws -> JSONValue?
}

extension ResultSink {
    /// Files and memory keep the signals in the run's artifact only.
    public func recordSignals(_ signals: StepSignals) throws {}
    /// Files and memory keep the warning in the result only.
    public func recordWarning(_ warning: CollapseWarning, onWarning: WarningIntervention?) throws {}
    /// Files and memory keep only the final verdict.
    public func recordProvisional(_ verdict: ProvisionalVerdict) throws {}

    public func childSink(_ child: SweepChild) throws -> ResultSink {
        throw RunError("this sink cannot run sweep children in-process; the worker queues them as jobs")
    }

    public func completedResult() throws -> JSONValue? { nil }
}
