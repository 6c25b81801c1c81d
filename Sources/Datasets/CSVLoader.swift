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
    public static func parse(
        _ bytes: [UInt8], name: String, labelColumn: LabelColumn = .index(-1), header: Bool = false,
        field: String = "dataset"
    ) throws -> LabeledData {
        let raw = Gzip.isGzip(bytes) ? try Gzip.decompress(bytes, what: "\(field) '\(name)'") : bytes
        guard let text = String(bytes: raw, encoding: .utf8) else {
            throw DatasetError(field: field, "'\(name)' is not UTF-8 text")
        }
        // One pass, line by line, without holding the split lines: memory stays proportional to the
        // values kept (a tiny .csv.gz of short lines used to need gigabytes of cell arrays).
        let limits = InputLimits.current
        var rest = Substring(text)
        var number = 0
        /// The next non-blank line's number and cells, or nil at the end.
        func nextLine() -> (number: Int, cells: [Substring])? {
            while !rest.isEmpty {
                // "\r\n" is one Character in Swift, so each line-ending form is matched explicitly.
                let end = rest.firstIndex(where: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) ?? rest.endIndex
                let line = rest[..<end]
                rest = end == rest.endIndex ? "" : rest[rest.index(after: end)...]
                number += 1
                if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
                return (number, line.split(separator: ",", omittingEmptySubsequences: false).map(clean))
            }
            return nil
        }
        var headerCells: [Substring]? = nil
        if header {
            guard let line = nextLine() else { throw DatasetError(field: field, "'\(name)' is empty") }
            headerCells = line.cells
        }
        guard var line = nextLine() else {
            throw DatasetError(field: field, "'\(name)' has no data rows")
        }
        let width = headerCells?.count ?? line.cells.count
        try limits.checkDimension(width - 1, field: field, what: "'\(name)'")
        if width < 2 {
            throw DatasetError(field: field, "'\(name)' has \(width) column; need at least one feature column and a label column")
        }
        let labelIndex: Int
        switch labelColumn {
        case .index(let i):
            let resolved = i < 0 ? width + i : i
            guard resolved >= 0 && resolved < width else {
                throw DatasetError(field: "\(field).label_column", "\(i) is outside the \(width) columns of '\(name)'")
            }
            labelIndex = resolved
        case .name(let n):
            guard let cells = headerCells else {
                throw DatasetError(field: "\(field).label_column", "a column name needs \(field).header set to true")
            }
            guard let i = cells.firstIndex(where: { $0 == n }) else {
                throw DatasetError(field: "\(field).label_column", "no column named '\(n)' in the header of '\(name)'")
            }
            labelIndex = i
        }
        var values = [Float]()
        var labels = [String]()
        while true {
            let (number, cells) = line
            guard cells.count == width else {
                throw DatasetError(field: field, "'\(name)' line \(number) has \(cells.count) columns, expected \(width)")
            }
            if labels.count >= limits.maxRows {
                throw DatasetError(field: field, "'\(name)' has more than \(limits.maxRows) rows, the limit (set ISOMINE_MAX_ROWS to raise it)")
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
            guard let next = nextLine() else { break }
            line = next
        }
        let data = LabeledData(name: name, features: Matrix(rows: labels.count, cols: width - 1, storage: values), rawLabels: labels)
        return data
    }

    private static func clean(_ s: Substring) -> Substring {
        var t = s.drop(while: { $0 == " " || $0 == "\t" })
        while let last = t.last, last == " " || last == "\t" { t = t.dropLast() }
        if t.count >= 2, t.first == "\"", t.last == "\"" { t = t.dropFirst().dropLast() }
        return t
    }
}
