// NumPy .npy files: float16/float32/float64 feature matrices and integer label vectors (little-endian, C order).
import Linalg
import Foundation

/// The parsed header and payload of one .npy file.
struct NPYArray {
    var descr: String
    var shape: [Int]
    var payload: ArraySlice<UInt8>
}

/// Reads the subset of the NPY format isomine accepts, with an error naming each violation.
///
/// One of two NPY validators, one per language boundary. This one guards the job boundary: files from
/// the data root never pass through SQL, and every array is checked against the job's memory limit
/// before it is allocated. The other, `isomine.npy_header` (sql/functions/npy_header.sql), guards the
/// SQL boundary: uploads from any SQL client are refused in the caller's transaction, before anything
/// is stored or queued.
public enum NPYLoader {
    /// Features (N×D float16/float32/float64) plus labels (N integers) as labelled points. The decoded matrix
    /// must fit `addressSpace` (this process's limit by default) as a file's must.
    public static func load(features: [UInt8], labels: [UInt8], name: String,
                            featuresField: String, labelsField: String,
                            addressSpace: Int? = InputLimits.addressSpaceLimit()) throws -> LabeledData {
        let x = try parse(try canonical(features, field: featuresField) ?? features, field: featuresField)
        guard x.shape.count == 2 else {
            throw DatasetError(field: featuresField, "has shape \(shapeText(x.shape)); features must be a 2-D array (N, D)")
        }
        try InputLimits.current.checkDimension(x.shape[1], field: featuresField, what: "the array")
        try InputLimits.current.checkRows(x.shape[0], field: featuresField, what: "the array")
        // The same check a file gets: the decoded matrix (and, for float64, its Double copy) must fit the
        // job's memory limit before it is allocated.
        // (A header claiming more than the bytes hold is reported as truncated by the decoder instead.)
        if let count = checkedProduct(x.shape), let held = checkedProduct([count, featureWidth(x.descr) ?? 4]), x.payload.count >= held,
           let bytes = checkedProduct([count, x.descr == "<f8" ? 12 : 4]) {
            try InputLimits.current.checkMemory(bytes, field: featuresField, what: "the array \(shapeText(x.shape)) as float32", addressSpace: addressSpace)
        }
        var values: [Float]
        let conversion: Float32Conversion
        switch x.descr {
        case "<f4":
            values = try floats(x, width: 4, field: featuresField) { Float(bitPattern: UInt32(truncatingIfNeeded: $0)) }
            conversion = try scaleInPlace(&values, columns: x.shape[1], field: featuresField)
        case "<f2":
            // Mixed-precision training's embeddings: every half is exactly a float.
            values = try floats(x, width: 2, field: featuresField) { Float(Float16(bitPattern: UInt16(truncatingIfNeeded: $0))) }
            conversion = try scaleInPlace(&values, columns: x.shape[1], field: featuresField)
        case "<f8":
            let doubles = try floats(x, width: 8, field: featuresField) { Double(bitPattern: $0) }
            var stats = InputStatistics(columns: max(x.shape[1], 1))
            doubles.withUnsafeBufferPointer { stats.add($0, startingAt: 0) }
            try refuseNonFinite(stats, field: featuresField)
            conversion = Float32Conversion(stats, centre: true)
            values = doubles.enumerated().map { conversion.apply($0.element, column: $0.offset % max(x.shape[1], 1)) }
        default: throw DatasetError(field: featuresField, "has dtype '\(x.descr)'; \(featureTypes)")
        }
        let raw = try labelStrings(labels, field: labelsField)
        let n = raw.count
        guard n == x.shape[0] else {
            throw DatasetError(field: labelsField, "has \(n) labels but \(featuresField) has \(x.shape[0]) rows")
        }
        var data = LabeledData(name: name, features: Matrix(rows: x.shape[0], cols: x.shape[1], storage: values), rawLabels: raw)
        data.conversion = conversion
        return data
    }

    /// Refuses a non-finite value, naming where it is.
    static func refuseNonFinite(_ stats: InputStatistics, field: String) throws {
        if let bad = stats.nonFinite {
            throw DatasetError(field: field, "row \(bad.row), column \(bad.column) is \(bad.value.isNaN ? "NaN" : "infinite"); remove or impute non-finite values")
        }
    }

    /// Float32 values outside `Float32Conversion.comfortable` scaled in place by a power of two (exact).
    static func scaleInPlace(_ values: inout [Float], columns: Int, field: String) throws -> Float32Conversion {
        var stats = InputStatistics(columns: max(columns, 1))
        var at = 0
        var chunk = [Double](repeating: 0, count: 4096)
        while at < values.count {
            let m = min(chunk.count, values.count - at)
            for t in 0..<m { chunk[t] = Double(values[at + t]) }
            chunk.withUnsafeBufferPointer { stats.add(UnsafeBufferPointer(rebasing: $0[0..<m]), startingAt: at) }
            at += m
        }
        try refuseNonFinite(stats, field: field)
        let conversion = Float32Conversion(stats, centre: false)
        if conversion.unit != 1 {
            let unit = Float(conversion.unit)
            for i in 0..<values.count { values[i] /= unit }
        }
        return conversion
    }

    /// Features and labels from files, the features read straight into the matrix that keeps them: the
    /// header is read first and checked against the file's size (a header that claims more than the file
    /// holds is an error before anything is allocated), then the data is read once, in place for
    /// float32, through a 1 MiB buffer for float64 and a 256 KiB one for float16. The labels (small) are read whole.
    public static func load(featuresFile: String, labelsFile: String, name: String, featuresField: String, labelsField: String) throws -> LabeledData {
        guard let handle = FileHandle(forReadingAtPath: featuresFile) else { throw DatasetError(field: featuresField, "cannot read '\(name)'") }
        defer { try? handle.close() }
        let fileSize = Int((try? FileManager.default.attributesOfItem(atPath: featuresFile)[.size] as? Int) ?? 0)
        let prefix = [UInt8]((try? handle.read(upToCount: min(fileSize, 1 << 16))) ?? Data())
        let layout = try parseLayout(prefix, field: featuresField)
        if layout.descr.hasPrefix(">") || (layout.fortran && layout.shape.count == 2) {
            // Fortran order or big-endian: read whole and rewritten in C order (`canonical`), at the cost
            // of the file's bytes held once more while it is read.
            try InputLimits.current.checkMemory(fileSize, field: featuresField, what: "'\(name)' (\(layout.fortran ? "Fortran order" : "big-endian"), read whole)")
            let bytes = try DataRoot.read(featuresFile, field: featuresField)
            return try load(features: bytes, labels: try DataRoot.read(labelsFile, field: labelsField), name: name,
                            featuresField: featuresField, labelsField: labelsField)
        }
        // C order (or not 2-D, refused below) and little-endian: read in place.
        let (descr, shape, offset) = (layout.descr, layout.shape, layout.dataOffset)
        guard shape.count == 2 else {
            throw DatasetError(field: featuresField, "has shape \(shapeText(shape)); features must be a 2-D array (N, D)")
        }
        try InputLimits.current.checkDimension(shape[1], field: featuresField, what: "the array")
        try InputLimits.current.checkRows(shape[0], field: featuresField, what: "the array")
        guard let width = featureWidth(descr) else {
            throw DatasetError(field: featuresField, "has dtype '\(descr)'; \(featureTypes)")
        }
        guard let count = checkedProduct(shape), let needed = checkedProduct([count, width]), fileSize - offset >= needed else {
            throw DatasetError(field: featuresField, "is truncated: \(max(0, fileSize - offset)) data bytes for shape \(shapeText(shape)) of \(descr)")
        }
        try InputLimits.current.checkMemory(count * 4, field: featuresField, what: "the array \(shapeText(shape)) of float32")
        try handle.seek(toOffset: UInt64(offset))
        var values = [Float](repeating: 0, count: count)
        func readFully(_ target: UnsafeMutableRawBufferPointer) throws {
            var done = 0
            while done < target.count {
                let got = Foundation.read(handle.fileDescriptor, target.baseAddress! + done, target.count - done)
                if got <= 0 { throw DatasetError(field: featuresField, "could not be read to the end (\(done) of \(target.count) data bytes)") }
                done += got
            }
        }
        let conversion: Float32Conversion
        if width == 4 {
            // Little-endian float32 on a little-endian machine: the bytes are the values.
            try values.withUnsafeMutableBytes { try readFully($0) }
            conversion = try scaleInPlace(&values, columns: shape[1], field: featuresField)
        } else if width == 2 {
            // Halves through a 256 KiB buffer, each exactly a float; then the float32 path's scaling.
            var chunk = [UInt16](repeating: 0, count: 1 << 17)
            var at = 0
            while at < count {
                let m = min(chunk.count, count - at)
                try chunk.withUnsafeMutableBytes { try readFully(UnsafeMutableRawBufferPointer(rebasing: $0[0..<(m * 2)])) }
                for t in 0..<m { values[at + t] = Float(Float16(bitPattern: UInt16(littleEndian: chunk[t]))) }
                at += m
            }
            conversion = try scaleInPlace(&values, columns: shape[1], field: featuresField)
        } else {
            // Two passes: the statistics decide the conversion (`Float32Conversion`), then the values are converted.
            var chunk = [Double](repeating: 0, count: 1 << 17)
            var stats = InputStatistics(columns: max(shape[1], 1))
            var at = 0
            while at < count {
                let m = min(chunk.count, count - at)
                try chunk.withUnsafeMutableBytes { try readFully(UnsafeMutableRawBufferPointer(rebasing: $0[0..<(m * 8)])) }
                chunk.withUnsafeBufferPointer { stats.add(UnsafeBufferPointer(rebasing: $0[0..<m]), startingAt: at) }
                at += m
            }
            try refuseNonFinite(stats, field: featuresField)
            conversion = Float32Conversion(stats, centre: true)
            try handle.seek(toOffset: UInt64(offset))
            at = 0
            while at < count {
                let m = min(chunk.count, count - at)
                try chunk.withUnsafeMutableBytes { try readFully(UnsafeMutableRawBufferPointer(rebasing: $0[0..<(m * 8)])) }
                for t in 0..<m { values[at + t] = conversion.apply(chunk[t], column: (at + t) % max(shape[1], 1)) }
                at += m
            }
        }
        let labelBytes = try DataRoot.read(labelsFile, field: labelsField)
        let raw = try labelStrings(labelBytes, field: labelsField)
        guard raw.count == shape[0] else {
            throw DatasetError(field: labelsField, "has \(raw.count) labels but \(featuresField) has \(shape[0]) rows")
        }
        var data = LabeledData(name: name, features: Matrix(rows: shape[0], cols: shape[1], storage: values), rawLabels: raw)
        data.conversion = conversion
        return data
    }

    /// The labels of an .npy integer vector (N,) or (N, 1), as text.
    static func labelStrings(_ labels: [UInt8], field labelsField: String) throws -> [String] {
        let y = try parse(try canonical(labels, field: labelsField) ?? labels, field: labelsField)
        let n: Int
        if y.shape.count == 1 { n = y.shape[0] }
        else if y.shape.count == 2 && y.shape[1] == 1 { n = y.shape[0] }
        else { throw DatasetError(field: labelsField, "has shape \(shapeText(y.shape)); labels must be a 1-D array (N,)") }
        let (signed, width): (Bool, Int)
        switch y.descr {
        case "|i1", "<i1": (signed, width) = (true, 1)
        case "|u1", "<u1": (signed, width) = (false, 1)
        case "<i2": (signed, width) = (true, 2)
        case "<u2": (signed, width) = (false, 2)
        case "<i4": (signed, width) = (true, 4)
        case "<u4": (signed, width) = (false, 4)
        case "<i8": (signed, width) = (true, 8)
        case "<u8": (signed, width) = (false, 8)
        default: throw DatasetError(field: labelsField, "has dtype '\(y.descr)'; labels must be little-endian integers (e.g. '<i8')")
        }
        guard let needed = checkedProduct([n, width]), y.payload.count >= needed else {
            throw DatasetError(field: labelsField, "is truncated: \(y.payload.count) data bytes for \(n) labels")
        }
        var raw = [String]()
        raw.reserveCapacity(n)
        let base = y.payload.startIndex
        for i in 0..<n {
            var u: UInt64 = 0
            for b in 0..<width { u |= UInt64(y.payload[base + i * width + b]) << (8 * UInt64(b)) }
            if signed && width < 8 && (u >> (UInt64(width) * 8 - 1)) & 1 == 1 { u |= ~0 << (UInt64(width) * 8) }
            raw.append(signed ? String(Int64(bitPattern: u)) : String(u))
        }
        return raw
    }

    /// The bytes of one feature value for the dtypes isomine reads, nil for the others.
    static func featureWidth(_ descr: String) -> Int? {
        switch descr {
        case "<f2": return 2
        case "<f4": return 4
        case "<f8": return 8
        default: return nil
        }
    }

    /// What the refusal of another feature dtype says.
    static let featureTypes = "features must be little-endian float16 ('<f2'), float32 ('<f4') or float64 ('<f8')"

    static func shapeText(_ s: [Int]) -> String { "(" + s.map(String.init).joined(separator: ", ") + (s.count == 1 ? ",)" : ")") }

    private static func floats<T: Numeric>(_ a: NPYArray, width: Int, field: String, _ convert: (UInt64) -> T) throws -> [T] {
        // Checked arithmetic: a header may declare any shape, e.g. (10¹⁰, 10¹⁰); the file must hold it.
        guard let count = checkedProduct(a.shape), let needed = checkedProduct([count, width]), a.payload.count >= needed else {
            throw DatasetError(field: field, "is truncated: \(a.payload.count) data bytes for shape \(shapeText(a.shape))")
        }
        var out = [T](repeating: 0, count: count)
        let base = a.payload.startIndex
        for i in 0..<count {
            var u: UInt64 = 0
            for b in 0..<width { u |= UInt64(a.payload[base + i * width + b]) << (8 * UInt64(b)) }
            out[i] = convert(u)
        }
        return out
    }

    /// Parses the magic, version, header dictionary and payload of an .npy file.
    static func parse(_ bytes: [UInt8], field: String) throws -> NPYArray {
        let (descr, shape, offset) = try parseHeader(bytes, field: field)
        return NPYArray(descr: descr, shape: shape, payload: bytes[offset...])
    }

    /// The dtype, the shape and the offset of the data, from the first bytes of an .npy file (at least
    /// the whole header), refusing the layouts the readers take only through `canonical`.
    static func parseHeader(_ bytes: [UInt8], field: String) throws -> (descr: String, shape: [Int], dataOffset: Int) {
        let (descr, shape, fortran, offset) = try parseLayout(bytes, field: field)
        if descr.hasPrefix(">") { throw DatasetError(field: field, "has dtype '\(descr)', which is big-endian; isomine reads little-endian NPY") }
        if fortran && shape.count > 1 {
            throw DatasetError(field: field, "is stored in Fortran order; save it in C order (np.ascontiguousarray)")
        }
        return (descr, shape, offset)
    }

    /// The dtype, the shape, whether it is stored in Fortran order and the offset of the data.
    static func parseLayout(_ bytes: [UInt8], field: String) throws -> (descr: String, shape: [Int], fortran: Bool, dataOffset: Int) {
        if bytes.isEmpty { throw DatasetError(field: field, "is an empty file") }
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw DatasetError(field: field, "is not an NPY file (missing the \\x93NUMPY magic)")
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1: headerLength = Int(bytes[8]) | Int(bytes[9]) << 8; headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw DatasetError(field: field, "NPY header is truncated") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default: throw DatasetError(field: field, "has NPY format version \(major), expected 1, 2 or 3")
        }
        guard bytes.count >= headerStart + headerLength else { throw DatasetError(field: field, "NPY header is truncated") }
        guard let header = String(bytes: bytes[headerStart..<(headerStart + headerLength)], encoding: .utf8) else {
            throw DatasetError(field: field, "NPY header is not text")
        }
        guard let descr = quotedValue(after: "'descr'", in: header) else {
            throw DatasetError(field: field, "NPY header has no 'descr'")
        }
        guard let fortranRange = header.range(of: "'fortran_order'") else {
            throw DatasetError(field: field, "NPY header has no 'fortran_order'")
        }
        let afterFortran = header[fortranRange.upperBound...].drop(while: { $0 == ":" || $0 == " " })
        let fortran = afterFortran.hasPrefix("True")
        guard let shapeRange = header.range(of: "'shape'"),
              let open = header[shapeRange.upperBound...].firstIndex(of: "("),
              let close = header[open...].firstIndex(of: ")") else {
            throw DatasetError(field: field, "NPY header has no 'shape'")
        }
        var shape = [Int]()
        for part in header[header.index(after: open)..<close].split(separator: ",") {
            let t = part.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { continue }
            guard let v = Int(t.hasSuffix("L") ? String(t.dropLast()) : t), v >= 0 else {
                throw DatasetError(field: field, "NPY shape entry '\(t)' is not a size")
            }
            shape.append(v)
        }
        return (descr, shape, fortran, headerStart + headerLength)
    }

    private static func quotedValue(after key: String, in header: String) -> String? {
        guard let r = header.range(of: key) else { return nil }
        let rest = header[r.upperBound...]
        guard let q1 = rest.firstIndex(where: { $0 == "'" || $0 == "\"" }) else { return nil }
        let quote = rest[q1]
        let body = rest[rest.index(after: q1)...]
        guard let q2 = body.firstIndex(of: quote) else { return nil }
        return String(body[..<q2])
    }
}

