// A query's result: rows of cells in libpq's text format with each column's type, read as typed values
// (one column) or decoded into structs (`Decodable`, keyed by column name).
import Foundation

/// The rows a statement returned, and how many it affected.
public struct PGRows: Sendable, CustomStringConvertible {
    public let columns: [String]
    /// Each column's type OID (unknown types keep their number).
    public let types: [UInt32]
    /// Cells row by row (`count × columns.count`); nil is SQL NULL.
    let cells: ContiguousArray<String?>
    /// Rows affected by INSERT/UPDATE/DELETE.
    public let affected: Int

    init(columns: [String], types: [UInt32], cells: ContiguousArray<String?>, affected: Int) {
        self.columns = columns
        self.types = types
        self.cells = cells
        self.affected = affected
    }

    public var count: Int { columns.isEmpty ? 0 : cells.count / columns.count }

    /// The rows as text, for a test's failure message (NULL as "NULL").
    public var description: String {
        "[" + all.map { row in "(" + (0..<columns.count).map { row.text($0) ?? "NULL" }.joined(separator: ", ") + ")" }.joined(separator: ", ") + "]"
    }
    public var isEmpty: Bool { count == 0 }

    /// Row `r` (an error, not a trap, past the end: a query may match nothing).
    public func row(_ r: Int) throws -> PGRow {
        guard r >= 0 && r < count else { throw PGError(.decoding, "no row \(r) in a result of \(count) rows") }
        return PGRow(rows: self, index: r)
    }

    /// Every row.
    public var all: [PGRow] { (0..<count).map { PGRow(rows: self, index: $0) } }

    /// Every row decoded as `T` (its coding keys are column names).
    public func decode<T: Decodable>(_ type: T.Type) throws -> [T] {
        try all.map { try $0.decode(T.self) }
    }

    /// The single row decoded as `T`, or nil when there is none (an error when there are several).
    public func decodeOne<T: Decodable>(_ type: T.Type) throws -> T? {
        guard count <= 1 else { throw PGError(.decoding, "expected at most one row, got \(count)") }
        return try all.first?.decode(T.self)
    }

    /// Column `column` of row `r` as `T`, nil for SQL NULL.
    public func value<T: PGDecodable>(_ r: Int, _ column: String, as type: T.Type = T.self) throws -> T? {
        try row(r).value(column, as: T.self)
    }

    /// Column `column` of the first row, or nil when it is NULL or there is no row.
    public func first<T: PGDecodable>(_ column: String, as type: T.Type = T.self) throws -> T? {
        isEmpty ? nil : try value(0, column, as: T.self)
    }

    /// Every row's `column` as `T` (SQL NULL is an error naming the column).
    public func column<T: PGDecodable>(_ column: String, as type: T.Type = T.self) throws -> [T] {
        try all.map { try $0.require(column, as: T.self) }
    }

    /// One-column reads of row `r` (nil for SQL NULL): `rows.int(0, "n")`.
    public func string(_ r: Int, _ column: String) throws -> String? { try value(r, column, as: String.self) }
    public func int(_ r: Int, _ column: String) throws -> Int? { try value(r, column, as: Int.self) }
    public func double(_ r: Int, _ column: String) throws -> Double? { try value(r, column, as: Double.self) }
    public func bool(_ r: Int, _ column: String) throws -> Bool? { try value(r, column, as: Bool.self) }

    /// The cells as text, for a table printed as it came (NULL as "").
    public func textTable(_ columns: [String]) throws -> [[String]] {
        let indices = try columns.map { try index($0) }
        return all.map { row in indices.map { row.text($0) ?? "" } }
    }

    func index(_ column: String) throws -> Int {
        guard let i = columns.firstIndex(of: column) else {
            throw PGError(.decoding, "no column '\(column)' in the result (it has \(columns.joined(separator: ", ")))")
        }
        return i
    }
}

/// One row of a result.
public struct PGRow: Sendable {
    let rows: PGRows
    let index: Int

    func text(_ c: Int) -> String? { rows.cells[index * rows.columns.count + c] }

    /// The cell's text and type, nil for SQL NULL.
    func cell(_ column: String) throws -> (text: String, type: UInt32)? {
        let c = try rows.index(column)
        return text(c).map { ($0, rows.types[c]) }
    }

    /// Column `column` as `T`, nil for SQL NULL.
    public func value<T: PGDecodable>(_ column: String, as type: T.Type = T.self) throws -> T? {
        guard let (text, oid) = try cell(column) else { return nil }
        return try T.pgDecode(text, type: oid, column: column)
    }

    /// Column `column` as `T`; SQL NULL is an error naming the column.
    public func require<T: PGDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard let v = try value(column, as: T.self) else { throw PGError(.unexpectedNull(column: column), "column '\(column)' is NULL") }
        return v
    }

    /// The row decoded as `T` (coding keys are column names; json/jsonb columns decode nested values).
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try T(from: PGRowDecoder(row: self))
    }
}

/// A Swift value read from a cell's text.
public protocol PGDecodable {
    static func pgDecode(_ text: String, type: UInt32, column: String) throws -> Self
}

extension PGDecodable {
    static func mismatch(_ text: String, _ column: String, _ what: String) -> PGError {
        PGError(.decoding, "column '\(column)' is not \(what): \(text.prefix(40))")
    }
}

extension String: PGDecodable {
    public static func pgDecode(_ text: String, type: UInt32, column: String) throws -> String { text }
}

extension Int: PGDecodable {
    public static func pgDecode(_ text: String, type: UInt32, column: String) throws -> Int {
        guard let v = Int(text) else { throw mismatch(text, column, "an integer") }
        return v
    }
}

extension Int32: PGDecodable {
    public static func pgDecode(_ text: String, type: UInt32, column: String) throws -> Int32 {
        guard let v = Int32(text) else { throw mismatch(text, column, "a 32-bit integer") }
        return v
    }
}

extension Double: PGDecodable {
    public static func pgDecode(_ text: String, type: UInt32, column: String) throws -> Double {
        switch text {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default:
            guard let v = Double(text) else { throw mismatch(text, column, "a number") }
            return v
        }
    }
}

extension Bool: PGDecodable {
    public static func pgDecode(_ text: String, type: UInt32, column: String) throws -> Bool {
        switch text {
        case "t", "true": return true
        case "f", "false": return false
        default: throw mismatch(text, column, "a boolean")
        }
    }
}

extension Date: PGDecodable {
    public static func pgDecode(_ text: String, type: UInt32, column: String) throws -> Date {
        guard let d = PGTimestamp.parse(text) else { throw mismatch(text, column, "an ISO timestamp") }
        return d
    }
}

extension PGBytes: PGDecodable {
    /// bytea's text output is hex (`\x0a1b…`, the server default since 9.0).
    public static func pgDecode(_ text: String, type: UInt32, column: String) throws -> PGBytes {
        let u = Array(text.utf8)
        guard u.count >= 2, u[0] == UInt8(ascii: "\\"), u[1] == UInt8(ascii: "x"), u.count % 2 == 0 else {
            throw mismatch(text, column, "bytea in hex format")
        }
        func nibble(_ c: UInt8) throws -> UInt8 {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            case 65...70: return c - 55
            default: throw mismatch(text, column, "bytea in hex format")
            }
        }
        var out = [UInt8]()
        out.reserveCapacity(u.count / 2 - 1)
        var i = 2
        while i < u.count {
            out.append(try nibble(u[i]) << 4 | nibble(u[i + 1]))
            i += 2
        }
        return PGBytes(out)
    }
}

extension PGJSON: PGDecodable {
    public static func pgDecode(_ text: String, type: UInt32, column: String) throws -> PGJSON { PGJSON(text: text) }
}
