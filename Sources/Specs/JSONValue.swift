// A JSON document as a value: what job specs are parsed from and results are written as.
import Foundation

/// Any JSON value. Numbers are kept as Double (JSON has one number type); integer fields check integrality.
public enum JSONValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else if let o = try? c.decode([String: JSONValue].self) { self = .object(o) }
        else { throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a JSON value") }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let d):
            // Integral values print without a fraction so specs echo back as written.
            if d.rounded() == d && abs(d) < 9.0e15 { try c.encode(Int64(d)) } else { try c.encode(d) }
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// Parses JSON text; a syntax error becomes a one-line `SpecError` at `spec`.
    public static func parse(_ data: Data) throws -> JSONValue {
        if data.isEmpty { throw SpecError(path: "spec", "the file is empty; expected a JSON object") }
        if data.count > SpecLimits.maxSpecBytes {
            throw SpecError(path: "spec", "is \(data.count) bytes, above the limit of \(SpecLimits.maxSpecBytes) bytes (a spec names its data; it does not carry it)")
        }
        do {
            let value = try JSONDecoder().decode(JSONValue.self, from: data)
            if let (path, key) = DuplicateKeys.first(in: data) {
                throw SpecError(path: path, "names \"\(key)\" twice; JSON keeps only one of the two values, so a field is named once")
            }
            return value
        } catch let e as SpecError {
            throw e
        } catch let DecodingError.dataCorrupted(context) {
            let detail = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String ?? serializationDetail(data)
            throw SpecError(path: "spec", notValid(detail, data))
        } catch {
            throw SpecError(path: "spec", notValid(serializationDetail(data), data))
        }
    }

    /// JSONDecoder says only "not valid JSON"; JSONSerialization names the problem (e.g. a number out of range).
    private static func serializationDetail(_ data: Data) -> String? {
        do { _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]); return nil } catch {
            return (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
        }
    }

    private static func notValid(_ detail: String?, _ data: Data) -> String {
        guard let detail else {
            if let number = underflowingNumber(data) {
                return "has the number \(number), too small for a double (its nearest is 0); write 0 or a number of at least about 2.5e-324 in magnitude"
            }
            return "is not valid JSON"
        }
        if let range = detail.range(of: " is not representable in Swift") {
            // "Number 1e400 is not representable in Swift." → a range error, not a syntax error.
            let number = detail[..<range.lowerBound].replacingOccurrences(of: "Number ", with: "")
            return "has the number \(number), outside the range of a double (about ±1.8e308)"
        }
        return "is not valid JSON (\(detail))"
    }

    /// JSONSerialization reads a number too small for a double as 0, so it names no problem where
    /// JSONDecoder refuses one: the first number token whose mantissa is not zero but whose nearest double is.
    private static func underflowingNumber(_ data: Data) -> String? {
        let text = String(decoding: data, as: UTF8.self)
        for match in text.matches(of: /-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?/) {
            let token = String(match.output)
            let mantissa = token.prefix { $0 != "e" && $0 != "E" }
            if Double(token) == 0, mantissa.contains(where: { ("1"..."9").contains($0) }) {
                // jsonb writes 1e-400 back as "0.000…0001": shorten a long one to its ends.
                return token.count > 24 ? "\(token.prefix(8))…\(token.suffix(4)) (\(token.count) characters)" : token
            }
        }
        return nil
    }

    /// Compact or pretty JSON text with sorted keys (stable output for diffs and tests).
    public func serialized(pretty: Bool = true) throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return try e.encode(self)
    }

    /// Compact JSON text with sorted keys (what SQL parameters and comparisons use).
    public func compactText() throws -> String {
        String(decoding: try serialized(pretty: false), as: UTF8.self)
    }

    /// A short description of the value's type, for error messages.
    var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// Converts any Encodable model into a JSONValue (for assembling result documents).
    public static func from<T: Encodable>(_ value: T) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value))
    }

    /// The member `key` of an object (nil for other values or missing keys).
    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }
}
