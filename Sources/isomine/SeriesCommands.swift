// `isomine submit` and `isomine series …`: checkpoints of a training run, analysed step by step.
import Console
import ArgumentParser
import Datasets
import Estimators
import Foundation
import Jobs
import Postgres
import Queue

struct Submit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Upload one checkpoint's embeddings and labels (NPY) into the database and queue its analysis as a series step; prints the job id.",
        discussion: """
        The arrays are stored in isomine.inputs (deduplicated by SHA-256, at most isomine.max_input_bytes, default 256 MiB), so workers need no copy of the files. The job is an analyze job with series and step set; its distances are judged against the margin (--margin, the one you trained with; one per series: a step without it takes the series' margin, from its monitor or its first step, and a step naming another is refused), and its spread is also compared with the series' baseline step (the first step submitted, or --baseline-step), which is judged as an untrained network (as is any step given --untrained): never collapsed, so the series' collapse.detected is its first collapse after the baseline (unless the series' monitor recorded training batches before that step: then the baseline is judged as a trained network, and at chance it is still at chance, not collapsed, when the monitor's first batch was at chance and its batches' spread kept half of it). Submit the untrained network as step 0: a new series' first step after 0, not given --untrained, is noted on stderr (its baseline, judged untrained). Classes of a single point are taken (a neighbour of the others, no query), as long as two classes have a pair. A step is submitted once per series: a second submission of the same step is refused (submit it under another step or series). SQL does the same: SELECT isomine.submit_embeddings('run-1', 3, <embeddings NPY bytes>, <labels NPY bytes>, '{"probe_size": 1000}'::jsonb);
        """)

    @Option(help: "The series (1–100 of A-Z a-z 0-9 _ . - starting with a letter or digit).")
    var series: String

    @Option(help: "The step of this checkpoint (epoch or iteration), 0 to 2147483647.")
    var step: Int

    @Argument(help: "Embeddings: an NPY file, float16, float32 or float64, shape (N, D).")
    var embeddings: String

    @Argument(help: "Labels: an NPY file, integers, shape (N,).")
    var labels: String

    @Option(help: "The margin α the model was trained with (PML's TripletMarginLoss default is 0.05): the verdict judges distances against it. A series is judged at one margin: without --margin a step takes the series' (its monitor's, or its first step's; 0.2 for a first step without one), and another is refused.")
    var margin: Double?

    @Flag(help: "L2-normalise each embedding before judging it, as your loss's distance does: pytorch-metric-learning's default LpDistance() and CosineSimilarity() normalise inside the loss, so give the model's raw outputs with --normalize (the margin is then on the unit sphere's scale). A series is judged one way: without --normalize a step takes the series' (its monitor's, or its first step's), and a first step without it is judged as given.")
    var normalize = false

    @Option(help: "Probe size for sets above 2000 points (default 2000).")
    var probeSize: Int?

    @Option(help: "f* descent iterations per start (default 0: by size).")
    var iterations: Int?

    @Option(help: "Seed of the probe and the thickness search (default 0).")
    var seed: Int?

    @Option(help: "Compare the spread with this distance (context; the verdict judges it against the margin) instead of the baseline step's spread.")
    var referenceScale: Double?

    @Flag(help: "The embeddings are an untrained network's (a baseline before training): judged as a train run's step 0, never collapsed. A series' baseline step is judged so anyway.")
    var untrained = false

    @Option(help: "Name the series' baseline step (default: the series' first submitted step).")
    var baselineStep: Int?

    @Option(help: "The queue (default 'default').")
    var queue: String?

    @Option(help: "A name for the job (default none).")
    var name: String?

    func validate() throws {
        guard SpecLimits.isSeriesName(series) else {
            throw ValidationError("--series: '\(series.prefix(100))' is not a series name; use 1 to 100 of A-Z, a-z, 0-9, _ . - starting with a letter or digit")
        }
        guard (0...Int(Int32.max)).contains(step) else { throw ValidationError("--step: must be between 0 and 2147483647, got \(step)") }
        if let queue, !SpecLimits.isQueueName(queue) {
            throw ValidationError("--queue: '\(queue)' is not a queue name; use 1 to 63 of a-z, 0-9, _ . - starting with a letter or digit")
        }
    }

    /// The options as an analyze spec's fields (checked by the spec schema before anything is uploaded).
    var options: [String: JSONValue] {
        var o: [String: JSONValue] = [:]
        if let margin { o["margin"] = .number(margin) }
        if normalize { o["normalize"] = .bool(true) }
        if let probeSize { o["probe_size"] = .number(Double(probeSize)) }
        if let iterations { o["iterations"] = .number(Double(iterations)) }
        if let seed { o["seed"] = .number(Double(seed)) }
        if let referenceScale { o["reference_scale"] = .number(referenceScale) }
        if let baselineStep { o["baseline_step"] = .number(Double(baselineStep)) }
        if untrained { o["untrained"] = .bool(true) }
        if let queue { o["queue"] = .string(queue) }
        if let name { o["name"] = .string(name) }
        return o
    }

    func run() throws {
        try CLIError.reporting {
            // The spec this submission makes, checked here first so a bad option is named before any upload.
            let zeros = String(repeating: "0", count: 64)
            var spec = options
            spec["kind"] = .string("analyze")
            spec["series"] = .string(series)
            spec["step"] = .number(Double(step))
            spec["dataset"] = .object(["type": .string("stored"), "features": .string(zeros), "labels": .string(zeros)])
            _ = try JobSpec.parse(.object(spec))
            let limits = InputLimits.current
            func read(_ path: String, _ what: String) throws -> [UInt8] {
                guard let attributes = try? FileManager.default.attributesOfItem(atPath: path), let size = attributes[.size] as? Int else {
                    throw DatasetError(field: what, "file \(path) does not exist")
                }
                if size > limits.maxInputBytes {
                    throw DatasetError(field: what, "\(path) is \(size) bytes, above the input limit of \(limits.maxInputBytes) (set ISOMINE_MAX_INPUT_BYTES to raise it)")
                }
                guard let data = FileManager.default.contents(atPath: path) else { throw DatasetError(field: what, "cannot read \(path)") }
                return [UInt8](data)
            }
            // Uploaded as the database takes NPY: C order, little-endian (Fortran order and big-endian rewritten, values kept).
            let rawE = try read(embeddings, "embeddings"), rawL = try read(labels, "labels")
            let e = try NPYLoader.canonical(rawE, field: "embeddings") ?? rawE, l = try NPYLoader.canonical(rawL, field: "labels") ?? rawL
            // The same checks the worker makes (dtype, shape, rows, finite values, classes), before the upload.
            _ = try NPYLoader.load(features: e, labels: l, name: embeddings, featuresField: "embeddings", labelsField: "labels").validate(field: "embeddings", loneClasses: true)
            let db = try Database.connect()
            print(try SeriesStore.submit(db, series: series, step: step, embeddings: e, labels: l, options: .object(options)))
            // A first step after 0 is most often a trained checkpoint (epoch 5, the first one saved), which as
            // the baseline is judged untrained: said on stderr (stdout stays the job id for scripts).
            if step > 0, try SeriesStore.assumedUntrainedBaseline(db, series: series, step: step) {
                FileHandle.standardError.write(Data("""
                    note: step \(step) is the first step of series '\(series)', its baseline, judged as an untrained network (never collapsed) \
                    and the reference of later steps. If it is a trained checkpoint, submit the untrained network's embeddings as step 0 \
                    (a new series), or watch the loop with the Python monitor (isomine.Monitor), whose first batches say where the run started.

                    """.utf8))
            }
        }
    }
}

struct SeriesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "series",
        abstract: "Series of checkpoints (isomine submit): their steps, verdicts, reasons and key figures.",
        subcommands: [SeriesList.self, SeriesShow.self, SeriesPrune.self])
}

struct SeriesPrune: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Delete series idle for longer than a duration, with their steps, signal rows and events.",
        discussion: "A series is idle from its last activity: created, a monitor's signal row received, or a step that ended; one with a step queued or running is kept. Deleted with it: its monitor's signal rows and step-0 batches, its own events (collapse.warning of a monitor), its steps' jobs with everything `jobs prune` removes with a job, and the stored inputs no longer named. --batch series per transaction. Prints how many series were removed. Report pages on disk are left alone. (`jobs prune` removes ended steps but keeps every series, its signal rows and events.)")
    @Option(help: "Idle time: a number and a unit, s, m, h, d or w (e.g. 90d).")
    var olderThan: String
    @Option(help: "Series deleted per transaction.")
    var batch = 100

    func validate() throws {
        _ = try pruneAge(olderThan, example: "90d")
        try pruneBatch(batch)
    }

    func run() throws {
        try CLIError.reporting {
            let n = try Pruning.pruneSeries(try Database.connect(), olderThan: try pruneAge(olderThan, example: "90d"), batch: batch)
            print("pruned \(n) series")
        }
    }
}

struct SeriesList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Every series: steps, baseline, latest verdict, where it was warned of collapse and where it collapsed.")

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        try CLIError.reporting {
            let db = try Database.connect()
            let all = try SeriesStore.list(db)
            if json {
                print(String(decoding: try JSONValue.from(all).serialized(), as: UTF8.self))
                return
            }
            let rows = all.map { s -> [String] in
                let baseline: String = s.baselineStep.map(String.init) ?? ""
                return [s.name, String(s.steps), baseline, s.margin.map { "\($0)" } ?? "", s.lastStep.map(String.init) ?? "", s.lastVerdict ?? "",
                 s.warningStep.map(String.init) ?? "", s.collapseStep.map(String.init) ?? "", s.createdAt]
            }
            print(TextTable.render([["series", "steps", "baseline", "margin", "last step", "last verdict", "warned at", "collapsed at", "created"]] + rows), terminator: "")
        }
    }
}

struct SeriesShow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "A series' steps in order: state, verdict, reasons, P@1, MAP@R, spread against the baseline, L_hard, d_iso, warning.",
        discussion: "A step being analysed shows its provisional verdict (from retrieval, the spread and the separation, recorded before the estimators run) marked '(provisional)'; the final verdict replaces it, and a final verdict that contradicts the provisional one says so. Events (collapse.warning, collapse.detected) come from final verdicts only. --json gives each step's provisional verdict with the seconds from the job's start to it.")

    @Argument(help: "The series name.")
    var name: String

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        try CLIError.reporting {
            let db = try Database.connect()
            guard let (detail, document) = try SeriesStore.show(db, name: name) else {
                throw SpecError(path: "series", "'\(name.prefix(100))' does not exist (isomine series list shows the series)")
            }
            if json {
                print(String(decoding: try document.serialized(), as: UTF8.self))
                return
            }
            let steps = detail.steps
            // A monitored series has no baseline until its first checkpoint.
            let baseline = detail.baselineStep.map { "baseline step \($0)" } ?? "no checkpoint yet"
            print("series \(detail.name): \(steps.count) steps, \(baseline)"
                  + (detail.margin.map { ", margin α = \($0)" } ?? "") + (detail.normalize == true ? " on L2-normalised embeddings" : "")
                  + (detail.warningStep.map { ", collapse.warning at step \($0)" } ?? "")
                  + (detail.collapseStep.map { ", collapse.detected at step \($0)" } ?? ""))
            if let monitor = SeriesShow.monitorLine(document) { print(monitor) }
            func f(_ v: Double?, _ format: String = "%.3f") -> String { v.map { String(format: format, $0) } ?? "" }
            guard !steps.isEmpty else { return }
            let rows = steps.map { s -> [String] in
                let dIso: String = s.dIsoLower.map { "[\(f($0, "%.3g")), \(f(s.dIsoUpper, "%.3g"))]" } ?? ""
                let reasons: String = s.reasons.isEmpty ? (s.lastError.map { String($0.prefix(120)) } ?? "") : s.reasons.joined(separator: ",")
                let warning: String = s.warning?.joined(separator: ",") ?? ""
                return [String(s.step), String(s.jobID), s.state.rawValue, SeriesShow.verdictText(s), f(s.precisionAt1), f(s.mapAtR), f(s.relativeSpread, "%.3g"),
                        f(s.lHard, "%.3g"), dIso, reasons, warning]
            }
            print(TextTable.render([["step", "job", "state", "verdict", "P@1", "MAP@R", "spread/baseline", "L_hard", "d_iso", "reasons", "warning"]] + rows), terminator: "")
            // Said at submission on stderr, and here for whoever reads the series later.
            if let b = detail.baselineStep, b > 0, try SeriesStore.assumedUntrainedBaseline(db, series: detail.name, step: b) {
                print("note: the baseline, step \(b), is the series' first step and is judged as an untrained network (never collapsed); if it is a trained checkpoint, later steps at chance read still at chance against it: submit the untrained network as step 0 of a new series, or watch the loop with the Python monitor")
            }
            let onSphere = steps.filter { $0.context?.contains(VerdictCode.collapsedOnTheSphere.rawValue) == true }.map { String($0.step) }
            if !onSphere.isEmpty {
                print("note: step\(onSphere.count == 1 ? "" : "s") \(onSphere.joined(separator: ", ")) \(onSphere.count == 1 ? "is" : "are") collapsed against α once L2-normalised (collapsed_on_the_sphere), though not as given: if your loss normalises the embeddings (pytorch-metric-learning's default LpDistance(), CosineSimilarity()), submit them with --normalize (a new series: one is judged one way)")
            }
        }
    }

    /// A step's verdict: the final one (saying so when it contradicts the provisional one), else the
    /// provisional one marked as such, else nothing yet.
    static func verdictText(_ s: SeriesStep) -> String {
        if let final = s.headline ?? s.verdict {
            guard let p = s.provisional, p.contradicted == true else { return final }
            return final + " (contradicts the provisional \(p.headline); no event was sent for it)"
        }
        // Only a running step's provisional verdict stands for it (a failed attempt's says nothing).
        return s.state == .running ? s.provisional.map { $0.headline + " (provisional)" } ?? "" : ""
    }

    /// The monitor's line (a series fed by a user's training loop): its rows, the step-0 risk and the
    /// series' own warning; nil for a series of checkpoints only.
    static func monitorLine(_ d: JSONValue) -> String? {
        guard let monitor = d["monitor"], monitor != .null else { return nil }
        func n(_ v: JSONValue?) -> Double? { if case .number(let x)? = v { x } else { nil } }
        var parts = [String]()
        let rows = Int(n(d["signals"]?["rows"]) ?? 0)
        if let last = n(d["signals"]?["last_step"]) {
            parts.append("\(rows) signal rows up to step \(Int(last))" + (n(d["signals"]?["evaluated_step"]).map { ", evaluated through step \(Int($0))" } ?? ", not evaluated yet"))
        } else {
            parts.append("no signal rows yet")
        }
        if case .string(let e)? = d["risk"]?["error"] {
            parts.append("step-0 risk not computed: \(e)")
        } else if let r = n(d["risk"]?["risk"]), let t = n(d["risk"]?["threshold"]) {
            if let miner = StoredRisk.reportedOnlyMiner(d["risk"]) {
                parts.append(String(format: "step-0 collapse risk %.2f (reported only: not fitted for miner %@)", r, miner))
            } else {
                parts.append(String(format: "step-0 collapse risk %.2f (threshold %.2f)", r, t))
            }
        }
        if let w = d["warning"], let step = n(w["step"]) {
            var codes = [String]()
            if case .array(let reasons)? = w["reasons"] { for r in reasons { if case .string(let c)? = r["code"] { codes.append(c) } } }
            let source: String = if case .string(let s)? = w["source"] { s == "risk" ? "the step-0 risk" : "the per-step signals" } else { "the monitor" }
            parts.append("warning at step \(Int(step)) from \(source): " + codes.joined(separator: ", "))
        }
        return "monitor: " + parts.joined(separator: "; ")
    }
}
