// A sweep run in this process (`isomine run`): its runs one after another, then the aggregate.
// (The worker instead queues each run as a child job so any worker can take it.)
import Logging

extension Runner {
    /// Runs every child of `sweep` through `sink.childSink`, then aggregates them into the sweep result.
    /// A run that fails is recorded as failed and the sweep goes on; with a resuming sink, runs that
    /// already completed are read back instead of run again.
    func runSweep(_ sweep: SweepSpec, sink: ResultSink, progress: @escaping (RunProgress) -> Void,
                  shouldStop: @escaping () -> Bool) throws -> RunOutcome {
        var outcomes: [SweepChildOutcome] = []
        for child in sweep.children {
            let childSink = try sink.childSink(child)
            if let done = try childSink.completedResult() {
                guard done["spec"] == child.spec.json else {
                    throw RunError("--resume: run \(child.index) holds the result of a different spec; use a new --out directory")
                }
                outcomes.append(SweepChildOutcome(index: child.index, state: .succeeded, result: done))
                continue
            }
            logger.info("sweep run", metadata: ["run": "\(child.index + 1)/\(sweep.children.count)", "name": "\(child.spec.name ?? "")"])
            do {
                switch try run(.train(child.spec), sink: childSink, progress: progress, shouldStop: shouldStop) {
                case .finished(let r): outcomes.append(SweepChildOutcome(index: child.index, state: .succeeded, result: try JobResult.train(r).json()))
                case .stopped: return .stopped(step: child.index)
                case .analyzed, .swept: throw RunError("sweep run \(child.index) is not a train run")
                }
            } catch where error is SpecError || error is RunError {
                // The run's own problem: recorded, and the sweep goes on (other errors, e.g. I/O, end it).
                outcomes.append(SweepChildOutcome(index: child.index, state: .failed, error: "\(error)"))
            }
        }
        let result = SweepResult(sweep: sweep, outcomes: outcomes)
        try sink.finish(.sweep(result))
        return .swept(result)
    }
}
