// `Decodable` over one row: a struct's coding keys name columns. Scalars read the cell's text; a json
// or jsonb column decodes its document into the property (nested structs, arrays, enums).
import Foundation

struct PGRowDecoder: Decoder {
    let row: PGRow
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(Keyed<Key>(row: row))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw PGError(.decoding, "a row decodes into a struct keyed by column names, not a list")
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        throw PGError(.decoding, "a row decodes into a struct keyed by column names, not a single value")
    }

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let row: PGRow
        var codingPath: [any CodingKey] { [] }
        var allKeys: [Key] { row.rows.columns.compactMap(Key.init(stringValue:)) }

        func contains(_ key: Key) -> Bool { row.rows.columns.contains(key.stringValue) }

        func decodeNil(forKey key: Key) throws -> Bool { try row.cell(key.stringValue) == nil }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            let column = key.stringValue
            guard let (text, oid) = try row.cell(column) else {
                throw PGError(.unexpectedNull(column: column), "column '\(column)' is NULL")
            }
            return try decodeCell(T.self, text: text, type: oid, column: column)
        }

        /// The cell as a one-value decoder (SQL NULL is an error naming the column).
        func cellDecoder(_ key: Key) throws -> CellDecoder {
            guard let (text, oid) = try row.cell(key.stringValue) else {
                throw PGError(.unexpectedNull(column: key.stringValue), "column '\(key.stringValue)' is NULL")
            }
            return CellDecoder(text: text, type: oid, column: key.stringValue)
        }

        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try cellDecoder(key).decode(Bool.self) }
        func decode(_ type: String.Type, forKey key: Key) throws -> String { try cellDecoder(key).decode(String.self) }
        func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try cellDecoder(key).decode(Double.self) }
        func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try cellDecoder(key).decode(Float.self) }
        func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try cellDecoder(key).decode(Int.self) }
        func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try cellDecoder(key).decode(Int8.self) }
        func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try cellDecoder(key).decode(Int16.self) }
        func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try cellDecoder(key).decode(Int32.self) }
        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try cellDecoder(key).decode(Int64.self) }
        func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try cellDecoder(key).decode(UInt.self) }
        func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try cellDecoder(key).decode(UInt8.self) }
        func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try cellDecoder(key).decode(UInt16.self) }
        func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try cellDecoder(key).decode(UInt32.self) }
        func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try cellDecoder(key).decode(UInt64.self) }

        func nestedContainer<N: CodingKey>(keyedBy type: N.Type, forKey key: Key) throws -> KeyedDecodingContainer<N> {
            throw PGError(.decoding, "column '\(key.stringValue)': nested values come from a json or jsonb column")
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            throw PGError(.decoding, "column '\(key.stringValue)': lists come from a json or jsonb column")
        }

        func superDecoder() throws -> any Decoder { PGRowDecoder(row: row) }
        func superDecoder(forKey key: Key) throws -> any Decoder { PGRowDecoder(row: row) }
    }
}

/// One cell as a single value (for enums with a raw value and other single-value types).
struct CellDecoder: Decoder, SingleValueDecodingContainer {
    let text: String
    let type: UInt32
    let column: String
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        throw PGError(.decoding, "column '\(column)' holds one value; a structure needs a json or jsonb column")
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw PGError(.decoding, "column '\(column)' holds one value; a list needs a json or jsonb column")
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    func decodeNil() -> Bool { false }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        guard let scalar = T.self as? any PGDecodable.Type else {
            throw PGError(.decoding, "column '\(column)': \(T.self) cannot be read from one cell")
        }
        return try scalar.pgDecode(text, type: self.type, column: column) as! T
    }

    func decode(_ type: Bool.Type) throws -> Bool { try Bool.pgDecode(text, type: self.type, column: column) }
    func decode(_ type: String.Type) throws -> String { text }
    func decode(_ type: Double.Type) throws -> Double { try Double.pgDecode(text, type: self.type, column: column) }
    func decode(_ type: Float.Type) throws -> Float { Float(try Double.pgDecode(text, type: self.type, column: column)) }
    func decode(_ type: Int.Type) throws -> Int { try Int.pgDecode(text, type: self.type, column: column) }
    func decode(_ type: Int8.Type) throws -> Int8 { try narrow(Int8.self) }
    func decode(_ type: Int16.Type) throws -> Int16 { try narrow(Int16.self) }
    func decode(_ type: Int32.Type) throws -> Int32 { try narrow(Int32.self) }
    func decode(_ type: Int64.Type) throws -> Int64 { try narrow(Int64.self) }
    func decode(_ type: UInt.Type) throws -> UInt { try narrow(UInt.self) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try narrow(UInt8.self) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try narrow(UInt16.self) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try narrow(UInt32.self) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try narrow(UInt64.self) }

    private func narrow<I: FixedWidthInteger>(_ type: I.Type) throws -> I {
        guard let v = I(exactly: try Int.pgDecode(text, type: self.type, column: column)) else {
            throw PGError(.decoding, "column '\(column)': \(text) does not fit \(I.self)")
        }
        return v
    }
}

/// A cell as `T`: text as it is for String and PGJSON; a json or jsonb document through JSONDecoder;
/// a scalar type from its text; any other single-value type (an enum with a raw value) from one cell.
func decodeCell<T: Decodable>(_ type: T.Type, text: String, type oid: UInt32, column: String) throws -> T {
    if T.self == String.self { return text as! T }
    if T.self == PGJSON.self { return PGJSON(text: text) as! T }
    if oid == PGType.json.rawValue || oid == PGType.jsonb.rawValue {
        do { return try JSONDecoder().decode(T.self, from: Data(text.utf8)) } catch {
            throw PGError(.decoding, "column '\(column)': its JSON does not decode as \(T.self): \(error)")
        }
    }
    if let scalar = T.self as? any PGDecodable.Type { return try scalar.pgDecode(text, type: oid, column: column) as! T }
    return try T(from: CellDecoder(text: text, type: oid, column: column))
}
