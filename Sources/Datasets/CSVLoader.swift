// Numeric CSV (optionally gzip-compressed) with one label column, as labelled points.
import Linalg
import Foundation

/// Which CSV column holds the labels.
public enum LabelColumn: Sendable, Equatable, Codable {
    /// A 0-based column index; negative counts from the end (-1 is the last column).
    case index(Int)
    /// A column name from the header row.
    case name(String)
}

/// Reads comma-separated numeric features with one label column.
public enum CSVLoader {
    /// Parses CSV bytes (gzip detected by its magic bytes). Labels may be any token; features must be numbers.
    ///
    /// The text is streamed line by line, never held whole: a .csv.gz is inflated chunk by chunk, once
    /// to check its size and count its rows (a gzip bomb is refused there, having held one chunk), and
    /// once more to parse into a matrix allocated at its final size after the job's memory limit allows it.
    public static func parse(
        _ bytes: [UInt8], name: String, labelColumn: LabelColumn = .index(-1), header: Bool = false,
        field: String = "dataset"
    ) throws -> LabeledData {
        let limits = InputLimits.current
        let gzip = Gzip.isGzip(bytes)
        // A row has at most maxDimension + 1 cells; 128 bytes a cell is far more than any number needs.
        let maxLineBytes = max(1 << 20, (limits.maxDimension + 1) * 128)
        func forEachLine(_ body: (Int, UnsafeBufferPointer<UInt8>) throws -> Void) throws {
            var splitter = LineSplitter(maxLineBytes: maxLineBytes, field: field, name: name)
            if gzip {
                try Gzip.inflate(bytes, what: "\(field) '\(name)'", limit: limits.maxDecompressedBytes) { try splitter.feed($0, body) }
            } else {
                try bytes.withUnsafeBufferPointer { try splitter.feed($0, body) }
            }
            try splitter.finish(body)
        }
        func isBlank(_ line: UnsafeBufferPointer<UInt8>) -> Bool { line.allSatisfy { $0 == 0x20 || $0 == 0x09 } }

        // Pass 1: the size, and the rows to allocate for.
        var nonBlank = 0
        try forEachLine { _, line in if !isBlank(line) { nonBlank += 1 } }
        if header && nonBlank == 0 { throw DatasetError(field: field, "'\(name)' is empty") }
        let rows = nonBlank - (header ? 1 : 0)
        if rows <= 0 { throw DatasetError(field: field, "'\(name)' has no data rows") }
        if rows > limits.maxRows {
            throw DatasetError(field: field, "'\(name)' has more than \(limits.maxRows) rows, the limit (set ISOMINE_MAX_ROWS to raise it)")
        }

        // Pass 2: parse.
        var headerCells: [Substring]? = nil
        var width = 0
        var labelIndex = 0
        var values = [Float]()
        var labels = [String]()
        try forEachLine { number, bytes in
            if isBlank(bytes) { return }
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw DatasetError(field: field, "'\(name)' is not UTF-8 text (line \(number))")
            }
            let cells = text.split(separator: ",", omittingEmptySubsequences: false).map(clean)
            if header && headerCells == nil {
                headerCells = cells
                return
            }
            if width == 0 {
                (width, labelIndex) = try layout(firstRow: cells, headerCells: headerCells, labelColumn: labelColumn, name: name, field: field, limits: limits)
                // The matrix at its final size, allocated once, if this job's memory allows it (labels
                // are small strings, 16 bytes each).
                let features = checkedProduct([rows, width - 1, MemoryLayout<Float>.size]) ?? Int.max
                try limits.checkMemory(features &+ rows &* 16, field: field, what: "'\(name)' (\(rows) rows × \(width - 1) features)")
                values.reserveCapacity(rows * (width - 1))
                labels.reserveCapacity(rows)
            }
            guard cells.count == width else {
                throw DatasetError(field: field, "'\(name)' line \(number) has \(cells.count) columns, expected \(width)")
            }
            for (c, cell) in cells.enumerated() {
                if c == labelIndex {
                    guard !cell.isEmpty else { throw DatasetError(field: field, "'\(name)' line \(number): empty label") }
                    labels.append(String(cell))
                } else {
                    guard let v = Float(cell) else {
                        let hint = number == 1 && !header ? " (set \(field).header to true if the file has a header row)" : ""
                        throw DatasetError(field: field, "'\(name)' line \(number), column \(c + 1): '\(cell)' is not a number\(hint)")
                    }
                    values.append(v)
                }
            }
        }
        return LabeledData(name: name, features: Matrix(rows: labels.count, cols: width - 1, storage: values), rawLabels: labels)
    }

    /// The row width and the label column's index, from the header (if any) and the first data row.
    private static func layout(firstRow: [Substring], headerCells: [Substring]?, labelColumn: LabelColumn, name: String, field: String,
                               limits: InputLimits) throws -> (width: Int, labelIndex: Int) {
        let width = headerCells?.count ?? firstRow.count
        try limits.checkDimension(width - 1, field: field, what: "'\(name)'")
        if width < 2 {
            // A file written with another separator reads as one column: say which one it seems to use.
            let line = (headerCells ?? firstRow).first ?? ""
            let other = [(";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars"), (" ", "spaces")].first { line.contains($0.0) }
            let hint = other.map { "; isomine reads comma-separated values and this file's first line is separated by \($0.1)" } ?? ""
            throw DatasetError(field: field, "'\(name)' has \(width) column; need at least one feature column and a label column\(hint)")
        }
        switch labelColumn {
        case .index(let i):
            let resolved = i < 0 ? width + i : i
            guard resolved >= 0 && resolved < width else {
                throw DatasetError(field: "\(field).label_column", "\(i) is outside the \(width) columns of '\(name)'")
            }
            return (width, resolved)
        case .name(let n):
            guard let cells = headerCells else {
                throw DatasetError(field: "\(field).label_column", "a column name needs \(field).header set to true")
            }
            guard let i = cells.firstIndex(where: { $0 == n }) else {
                throw DatasetError(field: "\(field).label_column", "no column named '\(n)' in the header of '\(name)'")
            }
            return (width, i)
        }
    }

    private static func clean(_ s: Substring) -> Substring {
        var t = s.drop(while: { $0 == " " || $0 == "\t" })
        while let last = t.last, last == " " || last == "\t" { t = t.dropLast() }
        if t.count >= 2, t.first == "\"", t.last == "\"" { t = t.dropFirst().dropLast() }
        return t
    }
}
