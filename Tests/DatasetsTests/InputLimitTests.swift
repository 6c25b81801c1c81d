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
        TestSupport.npy(descr: descr, shapeText: shape, payload: [UInt8](repeating: 0, count: payload))
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
            try Gzip.inflate(gz, what: "'bomb.csv.gz'", limit: 100_000) { _ in }
        }
        var inflated = [UInt8]()
        try Gzip.inflate(gz, what: "ok", limit: 10_000_000) { inflated.append(contentsOf: $0) }
        #expect(inflated == plain)
    }

    /// Lines are the same however the bytes are cut into chunks: "\r\n" split across two chunks is one
    /// ending, "\r" and "\n" alone are endings, blank lines are counted, no ending at the end is a line.
    @Test func linesAreTheSameWhereverTheChunksAreCut() throws {
        let text = Array("a,1\r\nb,2\n\n c,3 \rd,4\r\n\r\ne,5\r\r\nf,6".utf8)
        func lines(chunk: Int) throws -> [String] {
            var splitter = LineSplitter(maxLineBytes: 100, field: "dataset", name: "x.csv")
            var out = [String]()
            var start = 0
            while start < text.count {
                let end = min(start + chunk, text.count)
                try text[start..<end].withUnsafeBufferPointer { try splitter.feed($0) { out.append("\($0):" + String(decoding: $1, as: UTF8.self)) } }
                start = end
            }
            try splitter.finish { out.append("\($0):" + String(decoding: $1, as: UTF8.self)) }
            return out
        }
        let expected = ["1:a,1", "2:b,2", "3:", "4: c,3 ", "5:d,4", "6:", "7:e,5", "8:", "9:f,6"]
        for chunk in 1...text.count { #expect(try lines(chunk: chunk) == expected, "chunks of \(chunk)") }
    }

    /// A file without line breaks is refused at the line cap, having held one line at most.
    @Test func aLineLongerThanTheCapIsRefused() throws {
        var splitter = LineSplitter(maxLineBytes: 10, field: "dataset", name: "x.csv")
        let long = [UInt8](repeating: UInt8(ascii: "7"), count: 6)
        #expect(throws: DatasetError(field: "dataset", "'x.csv' line 2 is longer than 10 bytes (a CSV file has one row per line, of at most ISOMINE_MAX_DIMENSION + 1 columns)")) {
            try Array("0,1\n".utf8).withUnsafeBufferPointer { try splitter.feed($0) { _, _ in } }
            for _ in 0..<3 { try long.withUnsafeBufferPointer { try splitter.feed($0) { _, _ in } } }
        }
        // Within one chunk too (a plain .csv is one chunk).
        var whole = LineSplitter(maxLineBytes: 10, field: "dataset", name: "x.csv")
        #expect(throws: DatasetError(field: "dataset", "'x.csv' line 1 is longer than 10 bytes (a CSV file has one row per line, of at most ISOMINE_MAX_DIMENSION + 1 columns)")) {
            try Array("0,1,2,3,4,5,6\n".utf8).withUnsafeBufferPointer { try whole.feed($0) { _, _ in } }
        }
    }

    /// A .csv.gz spanning many inflate chunks, with Windows line endings, reads exactly as its plain text.
    @Test func gzipStreamedCSVEqualsItsPlainText() throws {
        var rows = [String]()
        for i in 0..<20_000 { rows.append("\(Float(i % 97) * 0.25),\(-Float(i % 13)),\(i % 7)") }
        let plain = Array(rows.joined(separator: "\r\n").utf8)
        let gz = try gzipped(plain)
        #expect(plain.count > 4 * Gzip.chunkBytes)
        let a = try CSVLoader.parse(plain, name: "x.csv"), b = try CSVLoader.parse(gz, name: "x.csv")
        #expect(a.count == 20_000 && a.features.storage == b.features.storage && a.labels == b.labels && a.classNames == b.classNames)
    }

    /// A float64 NPY read from bytes (a stored input, a series step) is refused before it is decoded
    /// when its matrix and the Double copy cannot fit the job's memory, as a file is.
    @Test func storedNPYIsCheckedAgainstTheJobsMemory() throws {
        let shape = [20_000, 64]
        let features = NPYWriter.header(descr: "<f8", shape: shape) + [UInt8](repeating: 0, count: shape[0] * shape[1] * 8)
        let labels = NPYWriter.encode(labels: (0..<shape[0]).map { $0 % 4 })
        let budget = (384 << 20) + (12 << 20)
        #expect(throws: DatasetError(field: "dataset.features", "the array (20000, 64) as float32 needs 14 MiB in memory, more than this job's memory limit of 396 MiB allows (raise the worker's --job-memory)")) {
            try NPYLoader.load(features: features, labels: labels, name: "stored", featuresField: "dataset.features", labelsField: "dataset.labels", addressSpace: budget)
        }
        #expect(try NPYLoader.load(features: features, labels: labels, name: "stored", featuresField: "dataset.features", labelsField: "dataset.labels",
                                   addressSpace: budget + (4 << 20)).count == shape[0])
    }

    /// gzip's own output (the real tool, as a user's file would be made).
    func gzipped(_ bytes: [UInt8]) throws -> [UInt8] {
        let folder = TempFolder("gz"), dir = folder.url
        let file = dir.appendingPathComponent("x")
        try Data(bytes).write(to: file)
        _ = try runCommand("/bin/gzip", ["-9", file.path])
        return [UInt8](try Data(contentsOf: dir.appendingPathComponent("x.gz")))
    }
}
