// `isomine run SPEC --out DIR`: run one job locally, no database.
import ArgumentParser
import Foundation
import Jobs
import Reports

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a job spec locally and write DIR/result.json.",
        discussion: """
        Runs a train, analyze or sweep job on CPU and writes DIR/result.json, DIR/artifacts/ (NumPy arrays: the probe's embeddings at the start and the end, f*_iso and f*_haus) and DIR/report/index.html (a static HTML/SVG report); a train job shows a progress bar on a terminal (step, loss, latest P@1). A sweep runs its grid one run after another into DIR/runs/NNN/ and prints the collapse rate per cell; with --resume it skips runs that completed.

        A train result has spec (normalised), dataset, history (one entry per evaluation: step, loss, active_fraction, stats, eval.{precision_at_1,r_precision,map_at_r}, collapse, estimators, diagnosis.{verdict,failures,reasons,reference}, verdict), final, timing.{train_seconds,steps_per_second,eval_seconds,total_seconds,steps_this_process} and verdict (healthy | partial | collapsed). The estimators block has L_hard, the d_iso and d_haus brackets (each lower bound naming the points that prove it), the theorem checks (theorem3: holds | inconclusive | violated), f*, thickness and collapse metrics. The verdict rule and its reason codes are in the README.

        Spec schema (JSON; unknown fields are errors; defaults in brackets):
          kind                 "train" | "analyze" | "sweep" (required)
          name                 free text, at most 200 characters on one line [none]
          queue                the queue it goes to when enqueued (a-z 0-9 _ . -) [default]
          seed                 integer >= 0 [0]
          dataset.type         digits | blobs | toy5 | toy20 | npy | csv (required)
            blobs: classes [10], per_class [100], dim [32], separation [3.0], seed [0]
            toy5, toy20: seed [0]
            npy: features, labels (paths relative to ISOMINE_DATA_ROOT)
            csv: path, label_column (index, negative from the end, or header name) [-1], header [false]
          split.by             instance | class [instance]; split.test_fraction in (0,1) [0.3; 0.5 for class]
          standardize          true | false [true]
          model                hidden [[256,256]], embedding_dim [64], normalize [true]
          loss                 type hinge | soft [hinge], margin >= 0 [0.2], distance euclidean | squared [euclidean]
          miner                batch-hard | batch-all | semi-hard | easy-positive | random | hardest-triplet [batch-hard]
          sampler              classes_per_batch >= 2 [8], samples_per_class >= 2 [16]
          optimizer            type adam | sgd [adam], learning_rate [1e-3 adam, 1e-2 sgd], weight_decay [0],
                               beta1 [0.9], beta2 [0.999], epsilon [1e-8] (adam), momentum [0.9] (sgd),
                               schedule.type constant | cosine | step [constant],
                               schedule.min_learning_rate [0] (cosine), schedule.step_size, schedule.gamma [0.1] (step)
          steps                [2000]; eval_every [steps/10]; checkpoint_every [0 = never]; blas_threads [1]
          estimators           enabled [true], probe_size [256], iterations [150], final_iterations [600] (the last evaluation)
          stop_on_collapse     true | false [false]: end (as succeeded, verdict collapsed) at the first collapsed evaluation

        Analyze spec: kind "analyze", name, queue, dataset (as above: the embeddings), margin [0.2],
          probe_size [2000], iterations [0 = by size], seed [0], reference_scale [none: the sphere for L2-normalised
          embeddings, else the spread is not judged],
          blas_threads [1]. Writes kind, spec, dataset, final.{eval,losses,estimators,diagnosis,verdict}, timing, verdict.
        Sweep spec: kind "sweep", name, queue (also its runs'), base (a train spec; kind may be left out), grid (an object mapping a
          dotted train-spec path to an array of values, e.g. {"sampler.samples_per_class": [4, 16],
          "model.embedding_dim": [2, 8], "seed": [0, 1, 2]}; at most 1000 runs), replicate (the axis runs are
          repeated over; cells aggregate across it) [seed when the grid has it, else none]. Writes kind, spec,
          axes, replicate_axis, cells (per grid point: runs, succeeded, failed, healthy/partial/collapsed counts,
          collapse_rate, degraded_rate, mean_first_collapse_step, metrics mean/min/max), runs, summary.
        Limits: at most 1e8 model parameters; a test split of at most 20000 rows (exact evaluation).

        Exit status: 0 done, 2 invalid spec or data (one line naming the field), 1 other failure.
        """
    )

    @Argument(help: "Path of the job spec (JSON).")
    var spec: String

    @Option(name: .long, help: "Directory for result.json and checkpoint.bin (created if missing).")
    var out: String

    @Flag(name: .long, help: "Continue from DIR/checkpoint.bin (written when the spec sets checkpoint_every).")
    var resume = false

    @Option(name: .long, help: ArgumentHelp("Stop after this many training steps (checkpointing first if checkpoint_every is set).", visibility: .hidden))
    var stopAfter: Int?

    @Flag(name: .long, help: "No progress bar, even on a terminal.")
    var quiet = false

    @OptionGroup var logging: LoggingOptions

    func run() throws {
        let logger = try logging.bootstrap()
        try CLIError.reporting {
            let job = try JobSpec.load(path: spec)
            let sink = try FileSink(directory: out, resume: resume)
            let bar = ProgressBar(enabled: !quiet && isatty(STDERR_FILENO) == 1)
            let outcome = try Runner(logger: logger).run(job, sink: sink, stopAfter: stopAfter, progress: { bar.update($0) })
            bar.finish()
            if case .stopped = outcome {} else {
                print("report: \(try DirectoryReport.write(directory: out, renderer: try ReportRenderer()))")
            }
            switch outcome {
            case .finished(let r):
                print("wrote \(sink.resultPath)")
                print(String(format: "verdict %@  P@1 %.4f  R-Precision %.4f  MAP@R %.4f  %.0f steps/s",
                             r.verdict.rawValue, r.final.eval.precisionAt1, r.final.eval.rPrecision, r.final.eval.mapAtR,
                             r.timing.stepsPerSecond))
            case .analyzed(let r):
                let e = r.final.estimators
                print("wrote \(sink.resultPath)")
                print(String(format: "verdict %@  L_hard %.4g  d_iso [%.4g, %.4g]  d_haus [%.4g, %.4g]  P@1 %.4f  MAP@R %.4f",
                             r.verdict.rawValue, e.lHard, e.dIso.lower, e.dIso.upper, e.dHaus.lower, e.dHaus.upper,
                             r.final.eval.precisionAt1, r.final.eval.mapAtR))
            case .swept(let r):
                print("wrote \(sink.resultPath) (runs in \(sink.directory)/runs/)")
                print(SweepTable.render(r), terminator: "")
            case .stopped(let step):
                print("stopped at step \(step)" + (FileManager.default.fileExists(atPath: sink.checkpointPath) ? "; resume with --resume (checkpoint \(sink.checkpointPath))" : ""))
            }
        }
    }
}
