// The spec fields are documented once (`SpecDocs`): the README's tables are exactly those rows, and
// they name exactly the fields the spec decoders accept (no field undocumented, no documented field
// unknown). The accepted fields are read from the decoders themselves: a spec with an unknown key at
// a level is refused with the fields known there.
import Foundation
import Testing
@testable import Jobs

@Suite struct ReadmeSpecTableTests {
    /// The field names of documented rows: "`optimizer.beta1`, `beta2`" names optimizer.beta1 and optimizer.beta2.
    func documentedFields(_ rows: [SpecFieldDoc]) -> Set<String> {
        var fields = Set<String>()
        for row in rows {
            let names = row.field.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
            guard let first = names.first else { continue }
            let prefix = first.contains(".") ? String(first[..<first.lastIndex(of: ".")!]) + "." : ""
            fields.insert(first)
            for other in names.dropFirst() { fields.insert(prefix + other) }
        }
        return fields
    }

    @Test func readmeHoldsTheDocumentedTables() throws {
        let readme = try String(contentsOfFile: projectRoot + "/README.md", encoding: .utf8)
        for (kind, rows) in [("train", SpecDocs.train), ("analyze", SpecDocs.analyze), ("sweep", SpecDocs.sweep)] {
            #expect(readme.contains(SpecDocs.markdown(rows) + "\n"), "the README's \(kind) spec table differs from SpecDocs.\(kind)")
        }
    }

    /// The fields known at `path` (dotted, "" for the top level) when `spec` has an unknown key there.
    func knownFields(_ spec: String, at path: String) throws -> Set<String> {
        guard let message = specError(spec), let range = message.range(of: "known fields here: ") else {
            throw SpecError(path: path, "no known-fields message for \(spec)")
        }
        let prefix = path.isEmpty ? "" : path + "."
        return Set(message[range.upperBound...].split(separator: ",").map { prefix + $0.trimmingCharacters(in: .whitespaces) })
    }

    @Test func trainTableMatchesTheDecoder() throws {
        let base = #""kind":"train","dataset":{"type":"toy20"}"#
        var accepted = try knownFields("{\(base),\"zz\":1}", at: "")
        accepted.formUnion(try knownFields("{\(base),\"model\":{\"zz\":1}}", at: "model"))
        accepted.formUnion(try knownFields("{\(base),\"loss\":{\"zz\":1}}", at: "loss"))
        accepted.formUnion(try knownFields("{\(base),\"sampler\":{\"zz\":1}}", at: "sampler"))
        accepted.formUnion(try knownFields("{\(base),\"split\":{\"zz\":1}}", at: "split"))
        accepted.formUnion(try knownFields("{\(base),\"estimators\":{\"zz\":1}}", at: "estimators"))
        for type in ["adam", "sgd"] {
            accepted.formUnion(try knownFields("{\(base),\"optimizer\":{\"type\":\"\(type)\",\"zz\":1}}", at: "optimizer"))
        }
        for schedule in [#""type":"cosine""#, #""type":"step","step_size":5"#] {
            accepted.formUnion(try knownFields("{\(base),\"optimizer\":{\"schedule\":{\(schedule),\"zz\":1}}}", at: "optimizer.schedule"))
        }
        // Objects are documented by their fields (optimizer.schedule by its fields too); dataset has its own table.
        let objects: Set<String> = ["model", "loss", "sampler", "split", "estimators", "optimizer", "optimizer.schedule"]
        let documented = documentedFields(SpecDocs.train)
        #expect(accepted.subtracting(objects).subtracting(documented).isEmpty, "undocumented: \(accepted.subtracting(objects).subtracting(documented).sorted())")
        #expect(documented.subtracting(accepted).isEmpty, "documented but not accepted: \(documented.subtracting(accepted).sorted())")
    }

    @Test func analyzeAndSweepTablesMatchTheDecoders() throws {
        let analyze = try knownFields(#"{"kind":"analyze","dataset":{"type":"toy20"},"zz":1}"#, at: "")
        #expect(documentedFields(SpecDocs.analyze) == analyze)
        let sweep = try knownFields(#"{"kind":"sweep","base":{"kind":"train","dataset":{"type":"toy20"},"sampler":{"classes_per_batch":2,"samples_per_class":2}},"grid":{"seed":[1]},"zz":1}"#, at: "")
        #expect(documentedFields(SpecDocs.sweep) == sweep)
    }
}
