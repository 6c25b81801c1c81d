// The isomine executable: exit codes, one-line errors, result files, resume, and the listing commands.
import Foundation
import TestSupport
import Testing
@testable import Jobs

@Suite struct CLITests {
    @Test func specErrorIsOneLineAndExitTwo() throws {
        let dir = TempFolder()
        let spec = dir.write("bad.json", #"{"kind":"train","dataset":{"type":"digits"},"sampler":{"samples_per_class":1}}"#)
        let r = try IsomineBinary.run(["run", spec, "--out", dir.path + "/out"])
        #expect(r.status == 2)
        #expect(r.err == "spec.sampler.samples_per_class: must be at least 2\n")
        let v = try IsomineBinary.run(["validate", spec])
        #expect(v.status == 2 && v.err == "spec.sampler.samples_per_class: must be at least 2\n")
        let good = dir.write("good.json", #"{"kind":"train","dataset":{"type":"toy20"},"steps":3}"#)
        let outIsFile = try IsomineBinary.run(["run", good, "--out", spec])
        #expect(outIsFile.status == 1 && outIsFile.err == "error: --out: \(spec) exists and is not a directory\n")
        let missing = try IsomineBinary.run(["run", dir.path + "/nope.json", "--out", dir.path + "/out"])
        #expect(missing.status == 2 && missing.err.hasPrefix("spec: file ") && missing.err.hasSuffix("does not exist\n"))
    }

    @Test func runWritesResultAndResumes() throws {
        let dir = TempFolder()
        let spec = dir.write("small.json", smallSpec)
        let stopped = try IsomineBinary.run(["run", spec, "--out", dir.path + "/a", "--stop-after", "30"])
        #expect(stopped.status == 0 && stopped.out.contains("stopped at step 30"))
        let resumed = try IsomineBinary.run(["run", spec, "--out", dir.path + "/a", "--resume"])
        #expect(resumed.status == 0, "\(resumed.err)")
        #expect(resumed.out.contains("wrote \(dir.path)/a/result.json"))
        let whole = try IsomineBinary.run(["run", spec, "--out", dir.path + "/b"])
        #expect(whole.status == 0)
        var a = try deterministicPart(dir.path + "/a/result.json"), b = try deterministicPart(dir.path + "/b/result.json")
        if case .object(var o) = a { o["resumed_from_step"] = nil; a = .object(o) }
        if case .object(var o) = b { o["resumed_from_step"] = nil; b = .object(o) }
        #expect(a == b)
        // No progress bar when stderr is not a terminal.
        #expect(whole.err.isEmpty)
    }

    @Test func dataRootComesFromTheEnvironment() throws {
        let dir = TempFolder()
        dir.write("points.csv", "0,0,a\n0,1,a\n0,2,a\n0,3,a\n5,0,b\n5,1,b\n5,2,b\n5,3,b\n9,0,c\n9,1,c\n9,2,c\n9,3,c\n")
        let spec = dir.write("csv.json", #"{"kind":"train","dataset":{"type":"csv","path":"points.csv"},"sampler":{"classes_per_batch":3,"samples_per_class":2},"model":{"hidden":[8],"embedding_dim":2},"split":{"test_fraction":0.5},"steps":5}"#)
        let ok = try IsomineBinary.run(["validate", spec], environment: ["ISOMINE_DATA_ROOT": dir.path])
        #expect(ok.status == 0, "\(ok.err)")
        #expect(ok.out.hasPrefix("ok: train job on points.csv (6 train / 6 test rows, 3 classes)"))
        let run = try IsomineBinary.run(["run", spec, "--out", dir.path + "/out"], environment: ["ISOMINE_DATA_ROOT": dir.path])
        #expect(run.status == 0, "\(run.err)")
        let elsewhere = try IsomineBinary.run(["validate", spec], environment: ["ISOMINE_DATA_ROOT": "/tmp"])
        #expect(elsewhere.status == 2 && elsewhere.err.hasPrefix("spec.dataset.path: 'points.csv' does not exist under the data root"))
    }

    @Test func datasetsListsTheBuiltins() throws {
        let r = try IsomineBinary.run(["datasets", "--json"])
        #expect(r.status == 0)
        guard case .array(let rows) = try JSONValue.parse(Data(r.out.utf8)) else { Issue.record("not an array"); return }
        let names = rows.compactMap { row -> String? in if case .string(let s)? = row["name"] { return s } else { return nil } }
        #expect(names == ["digits", "blobs", "toy5", "toy20"])
        #expect(rows[0]["rows"] == .number(1797) && rows[0]["dim"] == .number(64))
    }

    @Test func benchTrainerPrintsJSON() throws {
        let r = try IsomineBinary.run(["bench", "trainer", "--steps", "50"])
        #expect(r.status == 0, "\(r.err)")
        let json = try JSONValue.parse(Data(r.out.utf8))
        guard case .number(let sps)? = json["steps_per_second"], case .number(let gflops)? = json["matrix_products"]?["gflops"] else {
            Issue.record("missing fields in \(r.out)"); return
        }
        #expect(sps > 0 && gflops > 0)
    }

    @Test func benchTrainerTakesAMinerByNameAndRefusesAnUnknownOne() throws {
        let r = try IsomineBinary.run(["bench", "trainer", "--steps", "20", "--miner", "collapse-aware"])
        #expect(r.status == 0, "\(r.err)")
        #expect(try JSONValue.parse(Data(r.out.utf8))["miner"] == .string("collapse-aware"))
        let bad = try IsomineBinary.run(["bench", "trainer", "--steps", "20", "--miner", "hardest"])
        #expect(bad.status == 2)
        #expect(bad.err.contains("--miner") && bad.err.contains("hardest") && bad.err.contains("collapse-aware"), "\(bad.err)")
        #expect(bad.out.isEmpty)
    }
}

@Suite struct RiskCommandTests {
    @Test func riskPrintsTheStepZeroFeaturesAndAlongTheWayOnRequest() throws {
        let dir = TempFolder()
        let spec = dir.write("risk.json", #"{"kind":"train","dataset":{"type":"blobs"},"model":{"embedding_dim":2},"sampler":{"classes_per_batch":4,"samples_per_class":4},"steps":10}"#)
        let plain = try IsomineBinary.run(["risk", spec, "--iterations", "20"])
        #expect(plain.status == 0, "\(plain.err)")
        let zero = try JSONValue.parse(Data(plain.out.utf8))
        #expect(zero["step"] == nil && zero["features"]?["mechanism_ratio"] != nil && zero["collapse_risk"]?["risk"] != nil)
        // Along the way: one line per step, step 0 first and the same as without --at-steps (training
        // draws from its own stream, the features from theirs).
        let along = try IsomineBinary.run(["risk", spec, "--iterations", "20", "--at-steps", "2,5"])
        #expect(along.status == 0, "\(along.err)")
        let lines = try along.out.split(separator: "\n").map { try JSONValue.parse(Data($0.utf8)) }
        #expect(lines.map { $0["step"] } == [.number(0), .number(2), .number(5)])
        #expect(lines.first?["features"] == zero["features"])
        #expect(lines[1]["features"] != lines[0]["features"], "the network trained between the lines")
        // --first-step-only: the same first step as the full features carry, and nothing else.
        let first = try IsomineBinary.run(["risk", spec, "--first-step-only"])
        #expect(first.status == 0, "\(first.err)")
        let step = try JSONValue.parse(Data(first.out.utf8))
        #expect(step["first_step"] != nil && step["first_step"] == zero["features"]?["first_step"] && step["features"] == nil)
        for bad in ["0", "4,2", "3,x", "2,,4"] {
            let r = try IsomineBinary.run(["risk", spec, "--at-steps", bad])
            #expect(r.status != 0 && r.err.contains("--at-steps"), "\(bad): \(r.err)")
        }
        withExtendedLifetime(dir) {}
    }
}

/// OpenBLAS's kernels: `isomine` never computes on OpenBLAS's generic kernels when the CPU can run its
/// AVX2 or AVX-512 ones (it restarts itself with OPENBLAS_CORETYPE set), and keeps a family that is set.
@Suite struct BLASKernelTests {
    func lastCore(_ stderr: String) -> String? {
        stderr.split(separator: "\n").last { $0.hasPrefix("Core: ") }.map { String($0.dropFirst("Core: ".count)) }
    }

    @Test func isomineRunsOnTheCPUsOwnKernels() throws {
        let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.split(separator: "\n").first { $0.hasPrefix("flags") } ?? ""
        let words = Set(flags.split(separator: " ").map(String.init))
        let vector = words.isSuperset(of: ["avx2", "fma"])
        let automatic = try IsomineBinary.run(["--version"], environment: ["OPENBLAS_CORETYPE": "", "OPENBLAS_VERBOSE": "2"])
        #expect(automatic.status == 0, "\(automatic.err)")
        let core = try #require(lastCore(automatic.err), "OpenBLAS printed no core: \(automatic.err)")
        if vector { #expect(!["Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom"].contains(core), "\(automatic.err)") }
        // A family the user set is kept.
        let kept = try IsomineBinary.run(["--version"], environment: ["OPENBLAS_CORETYPE": "Prescott", "OPENBLAS_VERBOSE": "2"])
        #expect(lastCore(kept.err) == "Prescott" && kept.err.components(separatedBy: "Core: ").count == 2, "\(kept.err)")
    }
}
