// Each spec field is declared once, in its kind's schema: the parser, the normalised echo, `run --help`
// and the spec reference's tables (docs/spec-reference.md) all come from it. These tests hold the guide to the schemas and check that
// what is derived agrees: the echo names every declared field (and only those that apply) and parses
// back to the same spec.
import Foundation
import TestSupport
import Testing
@testable import Jobs
@testable import Specs

@Suite struct ReadmeSpecTableTests {
    @Test func readmeHoldsTheSchemaTables() throws {
        let readme = try String(contentsOfFile: projectRoot + "/docs/spec-reference.md", encoding: .utf8)
        for (kind, rows) in [("train", SpecDocs.train), ("analyze", SpecDocs.analyze), ("sweep", SpecDocs.sweep)] {
            #expect(readme.contains(SpecDocs.markdown(rows) + "\n"), "the spec reference's \(kind) spec table differs from \(kind)'s schema")
        }
        #expect(readme.contains(SpecDocs.datasets + "\n"), "the spec reference's dataset table differs from the dataset schema")
    }

    /// Dotted paths of the leaves of an echoed spec ("dataset" counts as one field: it has its own table).
    func leaves(_ value: JSONValue, prefix: String = "") -> Set<String> {
        guard case .object(let o) = value else { return [prefix] }
        var out = Set<String>()
        for (key, v) in o {
            let path = prefix.isEmpty ? key : "\(prefix).\(key)"
            if path == "dataset" || path == "base" || path == "grid" { out.insert(path); continue }
            out.formUnion(leaves(v, prefix: path))
        }
        return out
    }

    func roundTrip(_ text: String) throws -> JSONValue {
        let spec = try JobSpec.parse(Data(text.utf8))
        let echo = spec.json
        #expect(try JobSpec.parse(echo) == spec, "the echo of \(text) parses to another spec")
        return echo
    }

    @Test func echoNamesEveryDeclaredFieldAndParsesBack() throws {
        let train = [
            #"{"kind":"train","dataset":{"type":"toy20"}}"#,
            #"{"kind":"train","name":"n","queue":"gpu","dataset":{"type":"digits"},"optimizer":{"type":"sgd","schedule":{"type":"step","step_size":5}}}"#,
            #"{"kind":"train","dataset":{"type":"digits"},"split":{"by":"class"},"optimizer":{"schedule":{"type":"cosine","min_learning_rate":1e-5}},"threads":2}"#,
            #"{"kind":"train","dataset":{"type":"digits"},"blas_threads":3}"#,
            #"{"kind":"train","dataset":{"type":"digits"},"on_warning":{"action":"switch_miner","miner":"semi-hard","rewind_every":5}}"#,
            #"{"kind":"train","dataset":{"type":"digits"},"on_warning":{"action":"lower_learning_rate","factor":0.25}}"#,
        ]
        var seen = Set<String>()
        for text in train { seen.formUnion(leaves(try roundTrip(text))) }
        #expect(seen == Set(TrainSpec.schema.fields.map(\.path)))

        let analyze = try roundTrip(#"{"kind":"analyze","name":"a","queue":"q","dataset":{"type":"toy5"},"reference_scale":2,"series":"s-1","step":4,"baseline_step":1,"probe_per_class":6,"threads":2}"#)
        let older = try roundTrip(#"{"kind":"analyze","dataset":{"type":"toy5"},"blas_threads":2}"#)
        #expect(leaves(analyze).union(leaves(older)) == Set(AnalyzeSpec.schema.fields.map(\.path)))
        let sweep = try roundTrip(#"{"kind":"sweep","name":"s","queue":"q","base":{"dataset":{"type":"toy20"},"sampler":{"classes_per_batch":2,"samples_per_class":2},"steps":2},"grid":{"seed":[1,2]}}"#)
        #expect(leaves(sweep) == Set(SweepSpec.schema.fields.map(\.path)))

        // Defaults that depend on other fields are filled in from them.
        guard case .object(let t)? = Optional(try roundTrip(#"{"kind":"train","dataset":{"type":"toy20"},"steps":50,"optimizer":{"type":"sgd"},"split":{"by":"class"}}"#)),
              case .object(let optimizer)? = t["optimizer"], case .object(let split)? = t["split"] else { Issue.record("echo is not an object"); return }
        #expect(t["eval_every"] == .number(5) && optimizer["learning_rate"] == .number(1e-2) && split["test_fraction"] == .number(0.5))
        #expect(optimizer["beta1"] == nil && optimizer["momentum"] == .number(0.9))
    }

    @Test func everyDatasetTypeEchoesItsOwnFields() throws {
        let specs = [
            #"{"type":"digits"}"#, #"{"type":"blobs","classes":3}"#, #"{"type":"toy5","seed":4}"#, #"{"type":"toy20"}"#,
            #"{"type":"npy","features":"x.npy","labels":"y.npy"}"#, #"{"type":"csv","path":"d.csv","label_column":"label","header":true}"#,
            #"{"type":"stored","features":"\#(String(repeating: "a", count: 64))","labels":"\#(String(repeating: "b", count: 64))"}"#,
            #"{"type":"stored_csv","input":"\#(String(repeating: "c", count: 64))"}"#,
        ]
        var seen = Set<String>()
        for d in specs {
            let echo = try roundTrip(#"{"kind":"analyze","dataset":\#(d)}"#)
            guard case .object(let o) = echo, case .object(let dataset)? = o["dataset"] else { Issue.record("no dataset echoed"); continue }
            seen.formUnion(dataset.keys)
        }
        #expect(seen == Set(DatasetSpec.schema.fields.map(\.path)))
    }

    @Test func aFieldWhereItDoesNotApplySaysWhereItDoes() {
        let cases = [
            (#"{"kind":"train","dataset":{"type":"digits"},"optimizer":{"type":"sgd","beta1":0.8}}"#, "spec.optimizer.beta1: only applies to optimizer type adam"),
            (#"{"kind":"train","dataset":{"type":"digits"},"optimizer":{"schedule":{"type":"cosine","step_size":3}}}"#,
             "spec.optimizer.schedule.step_size: only applies to schedule type step"),
            (#"{"kind":"train","dataset":{"type":"digits"},"optimizer":{"schedule":{"type":"step"}}}"#, "spec.optimizer.schedule.step_size: is required"),
            (#"{"kind":"analyze","dataset":{"type":"toy5","classes":3}}"#, "spec.dataset.classes: only applies to dataset type blobs"),
            (#"{"kind":"analyze","dataset":{"type":"digits","seed":3}}"#, "spec.dataset.seed: only applies to dataset types blobs, toy5, toy20"),
            (#"{"kind":"analyze","dataset":{"type":"npy","features":"x.npy"}}"#, "spec.dataset.labels: is required"),
            (#"{"kind":"train","dataset":{"type":"digits"},"model":"wide"}"#, "spec.model: must be an object, got a string"),
            (#"{"kind":"analyze","dataset":{"type":"stored","features":"x.npy","labels":"y.npy"}}"#,
             "spec.dataset.features: 'x.npy' is not a stored input's name (the SHA-256 of its bytes: 64 lowercase hex digits)"),
            (#"{"kind":"analyze","dataset":{"type":"toy5"},"step":3}"#, "spec.step: only applies to a series step (set series)"),
            (#"{"kind":"analyze","dataset":{"type":"toy5"},"series":"a/b","step":3}"#,
             "spec.series: 'a/b' is not a series name; use 1 to 100 of A-Z, a-z, 0-9, _ . - starting with a letter or digit"),
            (#"{"kind":"analyze","dataset":{"type":"toy5"},"series":"run"}"#, "spec.step: is required"),
        ]
        for (spec, message) in cases { #expect(specError(spec) == message) }
    }
}
