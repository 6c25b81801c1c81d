// Helpers that write test inputs (NPY, CSV, symlinks) into a fresh temporary data root.
import Foundation
@testable import Datasets

/// A temporary directory used as a data root, removed when the value is released.
final class TempDataRoot {
    let path: String
    var root: DataRoot { DataRoot(path: path) }

    init() {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("isomine-test-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func write(_ name: String, _ bytes: [UInt8]) {
        let full = path + "/" + name
        try! FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: full, contents: Data(bytes))
    }

    func write(_ name: String, text: String) { write(name, Array(text.utf8)) }
}

/// NPY bytes with the given dtype string, shape and raw little-endian payload.
func npy(descr: String, shape: [Int], payload: [UInt8], fortran: Bool = false) -> [UInt8] {
    let shapeText = "(" + shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? ",)" : ")")
    var header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shapeText), }"
    while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
    out += [UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
    return out + Array(header.utf8) + payload
}

func float32Payload(_ values: [Float]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) } }
func float64Payload(_ values: [Double]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) } }
func int64Payload(_ values: [Int64]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) } }
func int32Payload(_ values: [Int32]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) } }
