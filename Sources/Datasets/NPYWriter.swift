// Writing NumPy .npy files (version 1.0, little-endian, C order): the artifacts users load with np.load.
import Linalg

/// Encodes matrices and label vectors as .npy bytes.
public enum NPYWriter {
    /// An N × D float64 array ('<f8').
    public static func encode(_ m: Matrix<Double>) -> [UInt8] {
        var out = header(descr: "<f8", shape: [m.rows, m.cols])
        out.reserveCapacity(out.count + m.storage.count * 8)
        for v in m.storage { append(v.bitPattern, width: 8, to: &out) }
        return out
    }

    /// An N-vector of int64 ('<i8').
    public static func encode(labels: [Int]) -> [UInt8] {
        var out = header(descr: "<i8", shape: [labels.count])
        for v in labels { append(UInt64(bitPattern: Int64(v)), width: 8, to: &out) }
        return out
    }

    /// Magic, version 1.0, header length, then the header dict padded with spaces so the data starts
    /// on a 64-byte boundary (as NumPy writes it). Public for writers that stream the data after it.
    public static func header(descr: String, shape: [Int]) -> [UInt8] {
        let dims = shape.count == 1 ? "\(shape[0])," : shape.map(String.init).joined(separator: ", ")
        var dict = Array("{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(dims)), }".utf8)
        let unpadded = 10 + dict.count + 1
        dict += [UInt8](repeating: 0x20, count: (64 - unpadded % 64) % 64)
        dict.append(0x0A)
        var out: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0]
        append(UInt64(dict.count), width: 2, to: &out)
        return out + dict
    }

    static func append(_ v: UInt64, width: Int, to out: inout [UInt8]) {
        for i in 0..<width { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }
}

/// Reads back the two forms `NPYWriter` writes (reports read artifacts through this).
public enum NPYArtifact {
    /// An N × D '<f8' array.
    public static func matrix(_ bytes: [UInt8], name: String) throws -> Matrix<Double> {
        let a = try NPYLoader.parse(bytes, field: name)
        guard a.descr == "<f8", a.shape.count == 2 else { throw DatasetError(field: name, "is not an N × D float64 array") }
        let count = a.shape[0] * a.shape[1]
        guard a.payload.count >= count * 8 else { throw DatasetError(field: name, "is truncated") }
        let base = a.payload.startIndex
        let values = (0..<count).map { i -> Double in
            var u: UInt64 = 0
            for b in 0..<8 { u |= UInt64(a.payload[base + i * 8 + b]) << (8 * UInt64(b)) }
            return Double(bitPattern: u)
        }
        return Matrix(rows: a.shape[0], cols: a.shape[1], storage: values)
    }

    /// An N-vector of '<i8'.
    public static func integers(_ bytes: [UInt8], name: String) throws -> [Int] {
        let a = try NPYLoader.parse(bytes, field: name)
        guard a.descr == "<i8", a.shape.count == 1 else { throw DatasetError(field: name, "is not an int64 vector") }
        guard a.payload.count >= a.shape[0] * 8 else { throw DatasetError(field: name, "is truncated") }
        let base = a.payload.startIndex
        return (0..<a.shape[0]).map { i in
            var u: UInt64 = 0
            for b in 0..<8 { u |= UInt64(a.payload[base + i * 8 + b]) << (8 * UInt64(b)) }
            return Int(Int64(bitPattern: u))
        }
    }
}
