// Input limits: shapes and sizes a file declares are checked, with overflow-checked arithmetic, before
// anything large is allocated; each error names the limit and how to raise it.
import Foundation
import TestSupport
import Testing
import Linalg
@testable import Datasets

@Suite struct InputLimitTests {
    /// An NPY header declaring `shape` with `payload` bytes of data.
    func npy(shape: String, descr: String = "<f4", payload: Int = 16) -> [UInt8] {
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        let n = header.utf8.count
        return [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(n & 255), UInt8(n >> 8)] + Array(header.utf8) + [UInt8](repeating: 0, count: payload)
    }

    @Test func overflowingNPYShapeIsAClearError() throws {
        let labels = NPYWriter.encode(labels: [0, 1])
        // 10¹⁰ × 10¹⁰ elements × 4 bytes overflows Int: it used to trap.
        #expect(throws: DatasetError(field: "features", "the array has 10000000000 feature columns, above the limit of 8192 (set ISOMINE_MAX_DIMENSION to raise it)")) {
            try NPYLoader.load(features: npy(shape: "(10000000000, 10000000000)"), labels: labels, name: "x", featuresField: "features", labelsField: "labels")
        }
        #expect(throws: DatasetError(field: "features", "the array has 1000000000000000000 rows, above the limit of 5000000 (set ISOMINE_MAX_ROWS to raise it)")) {
            try NPYLoader.load(features: npy(shape: "(1000000000000000000, 2)"), labels: labels, name: "x", featuresField: "features", labelsField: "labels")
        }
        // Within the limits but more than the file holds: truncated, named, nothing allocated.
        #expect(throws: DatasetError(field: "features", "is truncated: 16 data bytes for shape (4000000, 8000)")) {
            try NPYLoader.load(features: npy(shape: "(4000000, 8000)"), labels: labels, name: "x", featuresField: "features", labelsField: "labels")
        }
        // Labels whose count times width overflows.
        #expect(throws: DatasetError.self) {
            try NPYLoader.load(features: npy(shape: "(2, 2)"), labels: npy(shape: "(4611686018427387904,)", descr: "<i8"), name: "x", featuresField: "features", labelsField: "labels")
        }
    }

    @Test func wideCSVIsRefusedBeforeParsingIt() throws {
        let line = (0..<100_000).map { _ in "0" }.joined(separator: ",") + ",a\n"
        let text = Array((line + line).utf8)
        #expect(throws: DatasetError(field: "dataset", "'wide.csv' has 100000 feature columns, above the limit of 8192 (set ISOMINE_MAX_DIMENSION to raise it)")) {
            try CSVLoader.parse(text, name: "wide.csv")
        }
    }

    @Test func gzipBombStopsAtTheLimit() throws {
        // 4 MB of "0,0\n" compresses to a few KB.
        let plain = Array(String(repeating: "0,0\n", count: 1_000_000).utf8)
        let gz = try gzipped(plain)
        #expect(gz.count < 20_000)
        #expect(throws: DatasetError("'bomb.csv.gz': decompresses to more than 100000 bytes, the limit (set ISOMINE_MAX_DECOMPRESSED_BYTES to raise it)")) {
            try Gzip.decompress(gz, what: "'bomb.csv.gz'", limit: 100_000)
        }
        #expect(try Gzip.decompress(gz, what: "ok", limit: 10_000_000).count == plain.count)
    }

    /// gzip's own output (the real tool, as a user's file would be made).
    func gzipped(_ bytes: [UInt8]) throws -> [UInt8] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("isomine-gz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("x")
        try Data(bytes).write(to: file)
        _ = try runCommand("/bin/gzip", ["-9", file.path])
        return [UInt8](try Data(contentsOf: dir.appendingPathComponent("x.gz")))
    }
}
