// How Swift values travel to PostgreSQL as typed parameters: each carries its type's OID, so the server
// never has to guess (no `$1::bigint` casts needed), and bytes go in binary, not as hex text.
import Foundation

/// PostgreSQL type OIDs isomine binds and reads (pg_type.oid; fixed for built-in types).
public enum PGType: UInt32, Sendable {
    case bool = 16, bytea = 17, int8 = 20, int2 = 21, int4 = 23, text = 25, json = 114
    case float4 = 700, float8 = 701, varchar = 1043, timestamptz = 1184, numeric = 1700, jsonb = 3802
}

/// One parameter: its type, its bytes (nil for NULL), and whether they are binary (bytea) or text.
public struct PGBind: Sendable, Equatable {
    public let type: PGType
    public let bytes: [UInt8]?
    public let binary: Bool

    public init(type: PGType, bytes: [UInt8]?, binary: Bool = false) {
        self.type = type
        self.bytes = bytes
        self.binary = binary
    }

    init(type: PGType, text: String) { self.init(type: type, bytes: Array(text.utf8)) }
}

/// A Swift value that binds as a typed PostgreSQL parameter.
public protocol PGEncodable: Sendable {
    static var pgType: PGType { get }
    var pgBind: PGBind { get }
}

extension Int: PGEncodable {
    public static var pgType: PGType { .int8 }
    public var pgBind: PGBind { PGBind(type: .int8, text: String(self)) }
}

extension Int32: PGEncodable {
    public static var pgType: PGType { .int4 }
    public var pgBind: PGBind { PGBind(type: .int4, text: String(self)) }
}

extension Double: PGEncodable {
    public static var pgType: PGType { .float8 }
    /// Swift's shortest round-tripping digits; PostgreSQL spells the non-finite values Infinity and NaN.
    public var pgBind: PGBind {
        let text = isNaN ? "NaN" : isInfinite ? (self < 0 ? "-Infinity" : "Infinity") : "\(self)"
        return PGBind(type: .float8, text: text)
    }
}

extension Bool: PGEncodable {
    public static var pgType: PGType { .bool }
    public var pgBind: PGBind { PGBind(type: .bool, text: self ? "t" : "f") }
}

extension String: PGEncodable {
    public static var pgType: PGType { .text }
    public var pgBind: PGBind { PGBind(type: .text, text: self) }
}

extension Date: PGEncodable {
    public static var pgType: PGType { .timestamptz }
    /// ISO 8601 in UTC with microseconds (timestamptz's own precision).
    public var pgBind: PGBind { PGBind(type: .timestamptz, text: PGTimestamp.format(self)) }
}

/// Bytes, bound as bytea in binary (no hex round trip).
public struct PGBytes: PGEncodable, Equatable {
    public var bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public static var pgType: PGType { .bytea }
    public var pgBind: PGBind { PGBind(type: .bytea, bytes: bytes, binary: true) }
}

/// A JSON document, bound as jsonb.
public struct PGJSON: PGEncodable, Equatable {
    /// The document's text.
    public var text: String

    /// A document already serialised (e.g. a `JSONValue`'s compact text).
    public init(text: String) { self.text = text }

    /// A value encoded with `JSONEncoder` (keys sorted, so equal values bind equal text), e.g. a list of names.
    public init(encoding value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        text = String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    public static var pgType: PGType { .jsonb }
    public var pgBind: PGBind { PGBind(type: .jsonb, text: text) }
}

/// timestamptz text in and out.
enum PGTimestamp {
    static func format(_ date: Date) -> String {
        var seconds = date.timeIntervalSince1970.rounded(.down)
        var micros = Int(((date.timeIntervalSince1970 - seconds) * 1_000_000).rounded())
        if micros >= 1_000_000 { seconds += 1; micros -= 1_000_000 }
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d.%06d+00", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), micros)
    }

    /// Parses PostgreSQL's ISO output (`2026-12-05 01:02:03.123456+00`, `…+05:30`, no fraction, a `T`).
    static func parse(_ text: String) -> Date? {
        let u = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= u.count else { return nil }
            var v = 0
            for c in u[from..<(from + count)] {
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard u.count >= 19, let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2) else { return nil }
        var i = 19
        var fraction = 0.0
        if i < u.count, u[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1
            while i < u.count, u[i] >= 48 && u[i] <= 57 { fraction += Double(u[i] - 48) * scale; scale /= 10; i += 1 }
        }
        var offset = 0
        if i < u.count, u[i] == UInt8(ascii: "+") || u[i] == UInt8(ascii: "-") {
            let sign = u[i] == UInt8(ascii: "-") ? -1 : 1
            guard let h = number(i + 1, 2) else { return nil }
            var m = 0
            if i + 3 < u.count, u[i + 3] == UInt8(ascii: ":"), let mm = number(i + 4, 2) { m = mm }
            offset = sign * (h * 3600 + m * 60)
        }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let utc = timegm(&parts)
        return Date(timeIntervalSince1970: Double(utc - offset) + fraction)
    }
}

extension PGBytes: Decodable {
    /// From a row, a bytea column decodes through `PGDecodable`; elsewhere the bytes are a list of numbers.
    public init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode([UInt8].self))
    }
}
