// Sweep specs (expansion, validation that names the grid value) and sweeps run in-process.
import Vocabulary
import TestSupport
import Foundation
import Testing
@testable import Jobs
import Console

/// A small sweep on blobs: 2 × 2 cells × 2 seeds, a few steps each.
let tinySweep = """
{"kind":"sweep","name":"tiny","base":{"dataset":{"type":"blobs","classes":4,"per_class":20,"dim":6},
 "model":{"hidden":[8]},"sampler":{"classes_per_batch":4},"steps":6,"eval_every":3,"estimators":{"probe_size":16,"iterations":10}},
 "grid":{"seed":[0,1],"model.embedding_dim":[2,4],"sampler.samples_per_class":[2,3]}}
"""

func sweepSpec(_ json: String) throws -> SweepSpec {
    guard case .sweep(let s) = try JobSpec.parse(Data(json.utf8)) else { throw RunError("not a sweep") }
    return s
}

@Suite struct SweepSpecTests {
    @Test func expandsTheGridWithTheReplicateAxisLast() throws {
        let s = try sweepSpec(tinySweep)
        #expect(s.axes.map(\.path) == ["model.embedding_dim", "sampler.samples_per_class", "seed"])
        #expect(s.replicateAxis == "seed" && s.cellCount == 4 && s.children.count == 8)
        #expect(s.children.map(\.cell) == [0, 0, 1, 1, 2, 2, 3, 3])
        let c = s.children[5]
        #expect(c.values == [.number(4), .number(2), .number(1)])
        #expect(c.spec.training.model.embeddingDim == 4 && c.spec.training.samplesPerClass == 2 && c.spec.training.seed == 1)
        #expect(c.spec.training.classesPerBatch == 4 && c.spec.training.steps == 6)
        #expect(c.spec.name == "tiny [model.embedding_dim=4, sampler.samples_per_class=2, seed=1]")
        // Distinct grid points give distinct specs.
        #expect(Set(s.children.map { String(decoding: try! $0.spec.json.serialized(pretty: false), as: UTF8.self) }).count == 8)
        // The normalised spec parses back to the same sweep.
        #expect(try JobSpec.parse(s.json) == .sweep(s))
    }

    @Test func replicateAxisCanBeChosenOrAbsent() throws {
        let base = #""base":{"dataset":{"type":"digits"}}"#
        let none = try sweepSpec(#"{"kind":"sweep",\#(base),"grid":{"miner":["batch-hard","semi-hard"]}}"#)
        #expect(none.replicateAxis == nil && none.cellCount == 2 && none.children.map(\.cell) == [0, 1])
        #expect(none.children[1].spec.name == "sweep [miner=semi-hard]")
        let chosen = try sweepSpec(#"{"kind":"sweep",\#(base),"grid":{"miner":["batch-hard","semi-hard"],"steps":[10,20,30]},"replicate":"miner"}"#)
        #expect(chosen.axes.map(\.path) == ["steps", "miner"] && chosen.cellCount == 3)
        // A path into an absent object creates it.
        let nested = try sweepSpec(#"{"kind":"sweep",\#(base),"grid":{"optimizer.schedule.type":["cosine"]}}"#)
        #expect(nested.children[0].spec.training.optimizer.schedule == .cosine(minimum: 0))
    }

    @Test func badSweepsNameTheField() {
        let base = #""base":{"dataset":{"type":"digits"}}"#
        let cases: [(String, String)] = [
            (#"{"kind":"sweep","grid":{"seed":[1]}}"#, "spec.base: is required (a train spec)"),
            (#"{"kind":"sweep","base":[],"grid":{"seed":[1]}}"#, "spec.base: must be an object (a train spec), got an array"),
            (#"{"kind":"sweep","base":{"kind":"analyze"},"grid":{"seed":[1]}}"#, "spec.base.kind: a sweep runs train jobs: must be \"train\" or left out"),
            (#"{"kind":"sweep",\#(base)}"#, "spec.grid: is required (an object of path: [values])"),
            (#"{"kind":"sweep",\#(base),"grid":{}}"#, "spec.grid: must be a non-empty object mapping train-spec paths to arrays of values"),
            (#"{"kind":"sweep",\#(base),"grid":{"seed":3}}"#, "spec.grid[\"seed\"]: must be a non-empty array of values"),
            (#"{"kind":"sweep",\#(base),"grid":{"seed":[]}}"#, "spec.grid[\"seed\"]: must be a non-empty array of values"),
            (#"{"kind":"sweep",\#(base),"grid":{"seed":[1,2,1]}}"#, "spec.grid[\"seed\"][2]: repeats an earlier value"),
            (#"{"kind":"sweep",\#(base),"grid":{"model..embedding_dim":[2]}}"#, "spec.grid[\"model..embedding_dim\"]: is not a dotted path to a train-spec field (e.g. sampler.samples_per_class)"),
            (#"{"kind":"sweep",\#(base),"grid":{"name":["a"]}}"#, "spec.grid[\"name\"]: 'name' cannot be swept"),
            (#"{"kind":"sweep",\#(base),"grid":{"seed":[1]},"replicate":"steps"}"#, "spec.replicate: 'steps' is not an axis of spec.grid; expected one of seed"),
            (#"{"kind":"sweep",\#(base),"grid":{"seed":[1]},"repeat":2}"#, "spec.repeat: unknown field; known fields here: base, grid, kind, name, queue, replicate"),
            (#"{"kind":"sweep",\#(base),"grid":{"sampler.samples_per_class":[4,1]}}"#, "spec.grid[\"sampler.samples_per_class\"][1]: must be at least 2"),
            (#"{"kind":"sweep",\#(base),"grid":{"model.embedding_dim":["2"]}}"#, "spec.grid[\"model.embedding_dim\"][0]: must be an integer, got a string"),
            (#"{"kind":"sweep",\#(base),"grid":{"modle.embedding_dim":[2]}}"#, "spec.base.modle: unknown field; known fields here: blas_threads, checkpoint_every, dataset, estimators, eval_every, kind, loss, miner, model, name, on_warning, optimizer, queue, sampler, seed, split, standardize, steps, stop_on_collapse, stop_on_warning, threads, warning (in the run modle.embedding_dim=2)"),
            (#"{"kind":"sweep",\#(base),"grid":{"dataset.type.x":[2]}}"#, "spec.grid[\"dataset.type.x\"]: cannot set a field inside spec.base.dataset.type, which is a string"),
            (#"{"kind":"sweep","base":{"dataset":{"type":"digits"},"steps":0},"grid":{"seed":[1]}}"#, "spec.base.steps: must be between 1 and 100000000, got 0 (in the run seed=1)"),
            (#"{"kind":"sweep",\#(base),"grid":{"seed":\#(Array(0..<40)),"steps":\#(Array(1...30))}}"#, "spec.grid: expands to 1200 runs; a sweep may have at most 1000"),
        ]
        for (json, expected) in cases {
            #expect(specError(json) == expected, "\(json)")
        }
    }
}

@Suite struct SweepRunTests {
    @Test func runsEveryChildAndAggregatesPerCell() throws {
        let spec = try JobSpec.parse(Data(tinySweep.utf8))
        let sink = MemorySink()
        guard case .swept(let r) = try Runner().run(spec, sink: sink) else { Issue.record("no sweep result"); return }
        #expect(r.runs.count == 8 && r.cells.count == 4 && sink.children.count == 8)
        #expect(r.summary.runs == 8 && r.summary.succeeded == 8 && r.summary.failed == 0)
        for cell in r.cells {
            #expect(cell.runs == 2 && cell.succeeded == 2)
            #expect(cell.healthy + cell.partial + cell.collapsed == 2)
            #expect(cell.collapseRate == Double(cell.collapsed) / 2)
            let p1 = try #require(cell.metrics["precision_at_1"])
            let members = r.runs.filter { $0.cell == cell.cell }.compactMap { $0.final["precision_at_1"] }
            #expect(members.count == 2 && abs(p1.mean - (members[0] + members[1]) / 2) < 1e-12)
            #expect(p1.min == members.min() && p1.max == members.max())
            #expect(cell.params.keys.sorted() == ["model.embedding_dim", "sampler.samples_per_class"])
        }
        // Each run equals the same train spec run alone.
        guard case .sweep(let sweep) = spec,
              case .finished(let alone) = try Runner().run(.train(sweep.children[3].spec), sink: MemorySink()) else { Issue.record("rerun"); return }
        #expect(r.runs[3].final["map_at_r"] == alone.final.eval.mapAtR)
        #expect(sink.result == .sweep(r))
    }

    @Test func aggregationCountsFailuresAndVerdicts() throws {
        let sweep = try sweepSpec(#"{"kind":"sweep","base":{"dataset":{"type":"digits"}},"grid":{"seed":[0,1,2,3]}}"#)
        func result(_ verdict: String, p1: Double, collapseAt: Int?) -> JSONValue {
            let history: [JSONValue] = [0, 10, 20].map { step in
                .object(["step": .number(Double(step)), "verdict": .string(collapseAt.map { step >= $0 } == true ? "collapsed" : "healthy")])
            }
            return .object(["verdict": .string(verdict), "history": .array(history),
                            "final": .object(["eval": .object(["precision_at_1": .number(p1)])])])
        }
        let r = SweepResult(sweep: sweep, outcomes: [
            SweepChildOutcome(index: 2, id: 12, state: .succeeded, result: result("collapsed", p1: 0.2, collapseAt: 10)),
            SweepChildOutcome(index: 0, id: 10, state: .succeeded, result: result("healthy", p1: 0.9, collapseAt: nil)),
            SweepChildOutcome(index: 1, id: 11, state: .dead, error: "boom"),
        ])
        #expect(r.cells.count == 1 && r.replicateAxis == "seed")
        let c = r.cells[0]
        // The run never found (deleted before aggregation) is missing, not failed.
        #expect(c.runs == 4 && c.succeeded == 2 && c.failed == 1 && c.missing == 1 && c.collapsed == 1 && c.healthy == 1)
        #expect(c.collapseRate == 0.5 && c.meanFirstCollapseStep == 10)
        // Mean, range and the mean's standard error over the two succeeded runs: sd = 0.7/√2, se = sd/√2 = 0.35.
        let p1 = try #require(c.metrics["precision_at_1"])
        #expect(p1.mean == 0.55 && p1.min == 0.2 && p1.max == 0.9 && abs((p1.standardError ?? 0) - 0.35) < 1e-12)
        #expect(r.runs.map(\.state) == [.succeeded, .dead, .succeeded, .missing])
        #expect(r.runs[1].error == "boom" && r.runs[2].id == 12 && r.runs[2].firstCollapseStep == 10)
        #expect(r.summary == SweepSummary(runs: 4, succeeded: 2, failed: 1, cancelled: 0, missing: 1, collapsed: 1, collapseRate: 0.5))
    }

    /// A cell's metric spread: the mean's standard error is the runs' sample standard deviation over √runs,
    /// absent with one run (in result.json and as "-" in the table) and when a stored result predates it.
    @Test func aCellsMetricsCarryTheirStandardError() throws {
        let values = [0.81, 0.84, 0.86, 0.83]
        let spread = MetricSpread(of: values)
        let mean = values.reduce(0, +) / 4
        let sd = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 3).squareRoot()
        #expect(abs(spread.mean - mean) < 1e-15 && spread.min == 0.81 && spread.max == 0.86)
        #expect(abs((spread.standardError ?? 0) - sd / 2) < 1e-15)
        #expect(MetricSpread(of: [0.5]).standardError == nil)
        #expect(MetricSpread(of: [1e200, -1e200]).standardError == nil)
        let json = String(decoding: try JSONEncoder().encode(spread), as: UTF8.self)
        #expect(json.contains("\"standard_error\""), "\(json)")
        let old = try JSONDecoder().decode(MetricSpread.self, from: Data(#"{"mean":0.5,"min":0.4,"max":0.6}"#.utf8))
        #expect(old == MetricSpread(mean: 0.5, min: 0.4, max: 0.6) && old.standardError == nil)

        // Through a sweep: the table prints the column, "-" for a cell of one run.
        let sweep = try sweepSpec(#"{"kind":"sweep","base":{"dataset":{"type":"digits"}},"grid":{"model.embedding_dim":[2,8],"seed":[0,1]}}"#)
        func result(_ p1: Double) -> JSONValue {
            .object(["verdict": .string("healthy"), "history": .array([]), "final": .object(["eval": .object(["precision_at_1": .number(p1)])])])
        }
        let r = SweepResult(sweep: sweep, outcomes: [
            SweepChildOutcome(index: 0, id: 1, state: .succeeded, result: result(0.80)),
            SweepChildOutcome(index: 1, id: 2, state: .succeeded, result: result(0.90)),
            SweepChildOutcome(index: 2, id: 3, state: .succeeded, result: result(0.97)),
            SweepChildOutcome(index: 3, id: 4, state: .dead, error: "boom"),
        ])
        let table = SweepTable.render(r).split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        let header = table[0], column = try #require(header.firstIndex(of: "P@1_se"))
        #expect(header[column - 1] == "P@1")
        let rows = table[1...2].sorted { $0[0] < $1[0] }
        #expect(rows[0][0] == "2" && rows[0][column - 1] == "0.850" && rows[0][column] == "0.050", "\(rows)")
        #expect(rows[1][0] == "8" && rows[1][column - 1] == "0.970" && rows[1][column] == "-", "\(rows)")
    }

    /// A run's state is its job's state (or missing): every job state has its run state, spelled the same.
    @Test func everyJobStateIsARunState() {
        for state in JobState.allCases { #expect(SweepRunState(state).rawValue == state.rawValue) }
        #expect(Set(SweepRunState.allCases.map(\.rawValue)) == Set(JobState.allCases.map(\.rawValue) + ["missing"]))
    }

    @Test func validateChecksEveryRunsData() throws {
        let ok = try IsomineBinary.run(["validate", projectRoot + "/deploy/examples/sweep-digits.json"])
        #expect(ok.status == 0 && ok.out.hasPrefix("ok: sweep of 36 train runs in 12 cells, repeated over seed\n"))
        let dir = TempFolder()
        let bad = dir.write("bad.json", #"{"kind":"sweep","base":{"dataset":{"type":"digits"}},"grid":{"sampler.classes_per_batch":[4,12]}}"#)
        let r = try IsomineBinary.run(["validate", bad])
        #expect(r.status == 2)
        #expect(r.err == "spec.sampler.classes_per_batch: 12 exceeds the 10 classes of the training split (in the run sweep [sampler.classes_per_batch=12])\n")
    }

    @Test func cliRunsASweepAndResumeSkipsFinishedRuns() throws {
        let dir = TempFolder()
        let spec = dir.write("sweep.json", tinySweep)
        let first = try IsomineBinary.run(["run", spec, "--out", dir.path + "/out", "--quiet"])
        #expect(first.status == 0, "\(first.err)")
        #expect(first.out.contains("model.embedding_dim  sampler.samples_per_class  runs  collapsed"))
        #expect(first.out.contains("8 runs, "))
        let runs = try FileManager.default.contentsOfDirectory(atPath: dir.path + "/out/runs").sorted()
        #expect(runs == (0..<8).map { String(format: "%03d", $0) })
        let whole = try Data(contentsOf: URL(fileURLWithPath: dir.path + "/out/result.json"))
        // Remove one run's result: --resume runs only that one again and aggregates the same figures.
        try FileManager.default.removeItem(atPath: dir.path + "/out/runs/005/result.json")
        let resumed = try IsomineBinary.run(["run", spec, "--out", dir.path + "/out", "--quiet", "--resume"])
        #expect(resumed.status == 0, "\(resumed.err)")
        let again = try Data(contentsOf: URL(fileURLWithPath: dir.path + "/out/result.json"))
        func finals(_ d: Data) throws -> JSONValue? { try JSONValue.parse(d)["runs"] }
        let a = try #require(try finals(whole)), b = try #require(try finals(again))
        guard case .array(let ra) = a, case .array(let rb) = b else { Issue.record("runs"); return }
        #expect(ra.map { $0["final"] } == rb.map { $0["final"] })
        // A different spec in the same directory is refused rather than mixed in.
        let other = dir.write("other.json", tinySweep.replacingOccurrences(of: #""steps":6"#, with: #""steps":5"#))
        let mixed = try IsomineBinary.run(["run", other, "--out", dir.path + "/out", "--quiet", "--resume"])
        #expect(mixed.status == 1 && mixed.err.contains("holds the result of a different spec"))
    }
}
