// Test inputs: one temporary folder type and one NPY builder for every test target.
import Foundation

/// A fresh temporary folder, removed with everything in it when the value is released.
public final class TempFolder: Sendable {
    public let path: String

    public init(_ label: String = "test") {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("isomine-\(label)-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// The folder as a file URL.
    public var url: URL { URL(fileURLWithPath: path) }

    /// Writes `bytes` to `name` (a relative path; folders are made) and returns the file's path.
    @discardableResult
    public func write(_ name: String, _ bytes: [UInt8]) -> String {
        let full = path + "/" + name
        try! FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: full, contents: Data(bytes))
        return full
    }

    /// Writes `text` (UTF-8) to `name` and returns the file's path.
    @discardableResult
    public func write(_ name: String, _ text: String) -> String { write(name, Array(text.utf8)) }
}

/// NPY bytes with the given dtype, shape (written as Python prints it) and raw payload; the shape text
/// is taken as given, so a test can declare shapes no array has.
public func npy(descr: String, shapeText: String, payload: [UInt8], fortran: Bool = false) -> [UInt8] {
    var header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shapeText), }"
    while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    let n = header.utf8.count
    return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(n & 0xFF), UInt8(n >> 8)] + Array(header.utf8) + payload
}

/// NPY bytes with the given dtype, shape and raw little-endian payload.
public func npy(descr: String, shape: [Int], payload: [UInt8], fortran: Bool = false) -> [UInt8] {
    npy(descr: descr, shapeText: "(" + shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? ",)" : ")"), payload: payload, fortran: fortran)
}

public func float32Payload(_ values: [Float]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) } }
public func float16Payload(_ values: [Float]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: Float16($0).bitPattern.littleEndian, Array.init) } }
public func float64Payload(_ values: [Double]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) } }
public func int64Payload(_ values: [Int64]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) } }
public func int32Payload(_ values: [Int32]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) } }
