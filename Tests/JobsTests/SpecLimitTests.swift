// Spec-level limits and messages: size and name caps, numbers out of range, and `validate` loading the
// data of analyze jobs (a missing file or a path outside the data root is an error, not "ok").
import Foundation
import TestSupport
import Testing
@testable import Jobs

@Suite struct SpecLimitTests {
    @Test func oversizedSpecAndLongNamesAreRefused() throws {
        let big = #"{"kind":"analyze","dataset":{"type":"toy5"},"name":""# + String(repeating: "x", count: 2 << 20) + #""}"#
        #expect(specError(big) == "spec: is \(big.utf8.count) bytes, above the limit of 1048576 bytes (a spec names its data; it does not carry it)")
        let long = #"{"kind":"analyze","dataset":{"type":"toy5"},"name":""# + String(repeating: "n", count: 201) + #""}"#
        #expect(specError(long) == "spec.name: is 201 characters long; a job name has at most 200")
        #expect(specError(#"{"kind":"analyze","dataset":{"type":"toy5"},"name":"a\nb"}"#) == "spec.name: contains a control character (newline, tab, ...); use a one-line name")
        #expect(specError(#"{"kind":"analyze","dataset":{"type":"toy5"},"name":""# + String(repeating: "n", count: 200) + #""}"#) == nil)
        // A sweep's run names stay within the limit too.
        let sweepName = String(repeating: "s", count: 200)
        guard case .sweep(let sweep) = try JobSpec.parse(Data(#"{"kind":"sweep","name":"\#(sweepName)","base":{"kind":"train","dataset":{"type":"toy20"},"steps":3},"grid":{"seed":[1,2]}}"#.utf8)) else {
            Issue.record("not a sweep"); return
        }
        #expect(sweep.children.allSatisfy { ($0.spec.name ?? "").count <= 200 })
    }

    @Test func numberOutOfRangeIsNamed() {
        #expect(specError(#"{"kind":"train","dataset":{"type":"toy20"},"steps":1e400}"#) == "spec: has the number 1e400, outside the range of a double (about ±1.8e308)")
        // Too small for a double: JSONSerialization reads it as 0 and names nothing; the spec names it.
        #expect(specError(#"{"kind":"train","dataset":{"type":"toy20"},"name":"run 12","learning_rate":-1.5e-400}"#)
                == "spec: has the number -1.5e-400, too small for a double (its nearest is 0); write 0 or a number of at least about 2.5e-324 in magnitude")
    }

    @Test func validateLoadsAnalyzeData() throws {
        let dir = TempFolder()
        let missing = dir.write("missing.json", #"{"kind":"analyze","dataset":{"type":"npy","features":"nope.npy","labels":"nope-labels.npy"}}"#)
        let m = try IsomineBinary.run(["validate", missing], environment: ["ISOMINE_DATA_ROOT": dir.path])
        #expect(m.status == 2 && m.err.contains("does not exist under the data root"), "\(m.err)")
        let escape = dir.write("escape.json", #"{"kind":"analyze","dataset":{"type":"csv","path":"../../../etc/passwd"}}"#)
        let e = try IsomineBinary.run(["validate", escape], environment: ["ISOMINE_DATA_ROOT": dir.path])
        #expect(e.status == 2 && e.err.hasPrefix("spec.dataset.path:"), "\(e.err)")
        let ok = dir.write("ok.json", #"{"kind":"analyze","dataset":{"type":"toy20"}}"#)
        let o = try IsomineBinary.run(["validate", ok])
        #expect(o.status == 0 && o.out.hasPrefix("ok: analyze job on toy20 ("), "\(o.out)")
    }

    @Test func enqueueChecksThatDataFilesExistBeforeQueueing() throws {
        let dir = TempFolder()
        // The check comes before any database connection (none is configured here).
        let missing = dir.write("missing.json", #"{"kind":"analyze","dataset":{"type":"npy","features":"nope.npy","labels":"nope-labels.npy"}}"#)
        let m = try IsomineBinary.run(["enqueue", "analyze", missing], environment: ["ISOMINE_DATA_ROOT": dir.path, "DATABASE_URL": "host=/nonexistent"])
        #expect(m.status == 2 && m.err.hasPrefix("spec.dataset.features: 'nope.npy' does not exist under the data root"), "\(m.err)")
        let sweep = dir.write("sweep.json", #"{"kind":"sweep","base":{"dataset":{"type":"csv","path":"gone.csv"}},"grid":{"seed":[1,2]}}"#)
        let s = try IsomineBinary.run(["enqueue", "sweep", sweep], environment: ["ISOMINE_DATA_ROOT": dir.path, "DATABASE_URL": "host=/nonexistent"])
        #expect(s.status == 2 && s.err.hasPrefix("spec.base.dataset.path: 'gone.csv' does not exist"), "\(s.err)")
        // --no-file-check skips it (the workers hold the files): the next failure is the database connection.
        let skip = try IsomineBinary.run(["enqueue", "analyze", missing, "--no-file-check"], environment: ["ISOMINE_DATA_ROOT": dir.path, "DATABASE_URL": "host=/nonexistent"])
        #expect(skip.status == 1 && skip.err.contains("PostgreSQL"), "\(skip.err)")
    }
}
