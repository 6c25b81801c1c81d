// `isomine run SPEC --out DIR`: run one job locally, no database.
import Console
import ArgumentParser
import Foundation
import Jobs
import Reports

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a job spec locally and write DIR/result.json.",
        discussion: """
        Runs a train, analyze or sweep job on CPU and writes DIR/result.json, DIR/artifacts/ (NumPy arrays: the probe's embeddings at the start and the end, f*_iso and f*_haus) and DIR/report/index.html (a static HTML/SVG report); a train job shows a progress bar on a terminal (step, loss, latest P@1). A sweep runs its grid one run after another into DIR/runs/NNN/ and prints the collapse rate per cell; with --resume it skips runs that completed.

        A train result has spec (normalised), dataset, history (one entry per evaluation: step, loss, active_fraction, stats, eval.{precision_at_1,r_precision,map_at_r}, collapse, estimators, diagnosis.{verdict,failures,reasons,reference}, verdict), final, timing.{train_seconds,steps_per_second,eval_seconds,total_seconds,steps_this_process} and verdict (healthy | partial | collapsed). The estimators block has L_hard, the d_iso and d_haus brackets (each lower bound naming the points that prove it), the theorem checks (theorem3: holds | inconclusive | violated), f*, thickness and collapse metrics. The verdict rule and its reason codes are in docs/science.md.

        Spec fields (JSON; unknown fields are errors, as are a key named twice, wrong types and out-of-range values; the same table as docs/spec-reference.md's):
        """ + "\n" + SpecDocs.plainText(SpecDocs.train) + """


        Datasets (dataset.type; npy and csv paths are relative to ISOMINE_DATA_ROOT; a csv label_column is an index, negative from the end, or with header a column name):
        """ + "\n" + SpecDocs.datasetsPlainText + """


        Analyze spec fields (writes kind, spec, dataset, final.{eval,losses,estimators,diagnosis,verdict}, timing, verdict):
        """ + "\n" + SpecDocs.plainText(SpecDocs.analyze) + """


        Sweep spec fields (writes kind, spec, axes, replicate_axis, cells with per-cell counts, collapse_rate and metrics, runs, summary):
        """ + "\n" + SpecDocs.plainText(SpecDocs.sweep) + """


        Limits: at most 1e8 model parameters; the input limits of ISOMINE_MAX_* (see docs/spec-reference.md). Retrieval metrics are exact at any size: k nearest neighbours by blocks of rows, memory O(block × N + N × k), no N × N matrix.

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
