// The README's spec tables list exactly the fields the spec decoders accept (no field undocumented,
// no documented field unknown). The accepted fields are read from the decoders themselves: a spec
// with an unknown key at a level is refused with the fields known there.
import Foundation
import Testing
@testable import Jobs

@Suite struct ReadmeSpecTableTests {
    /// The fields of one README table: the first column of the rows after the header `title` line.
    func readmeFields(after marker: String) throws -> Set<String> {
        let readme = try String(contentsOfFile: projectRoot + "/README.md", encoding: .utf8)
        guard let start = readme.range(of: marker) else { throw SpecError(path: "README", "no table after '\(marker)'") }
        var fields = Set<String>()
        var inTable = false
        for line in readme[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("| field |") { inTable = true; continue }
            if inTable && line.hasPrefix("|---") { continue }
            if inTable && !line.hasPrefix("| `") { break }
            guard inTable else { continue }
            // "`optimizer.beta1`, `beta2`, `epsilon`": later names share the first one's prefix.
            let cell = line.split(separator: "|")[0]
            let names = cell.split(separator: "`").enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
            guard let first = names.first else { continue }
            let prefix = first.contains(".") ? String(first[..<first.lastIndex(of: ".")!]) + "." : ""
            fields.insert(first)
            for other in names.dropFirst() { fields.insert(prefix + other) }
        }
        return fields
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
        let documented = try readmeFields(after: "## Job spec reference")
        #expect(accepted.subtracting(objects).subtracting(documented).isEmpty, "undocumented: \(accepted.subtracting(objects).subtracting(documented).sorted())")
        #expect(documented.subtracting(accepted).isEmpty, "documented but not accepted: \(documented.subtracting(accepted).sorted())")
    }

    @Test func analyzeAndSweepTablesMatchTheDecoders() throws {
        let analyze = try knownFields(#"{"kind":"analyze","dataset":{"type":"toy20"},"zz":1}"#, at: "")
        #expect(try readmeFields(after: "An **analyze** job reads") == analyze)
        let sweep = try knownFields(#"{"kind":"sweep","base":{"kind":"train","dataset":{"type":"toy20"},"sampler":{"classes_per_batch":2,"samples_per_class":2}},"grid":{"seed":[1]},"zz":1}"#, at: "")
        #expect(try readmeFields(after: "A **sweep** runs a base train spec") == sweep)
    }
}
