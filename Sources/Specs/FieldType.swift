// The value types of spec fields: how a JSON value is read and checked, how it is written back, and
// how its type and range read in the docs. Each is worded once, so a range in an error message and
// the same range in docs/spec-reference.md cannot drift apart.

/// A numeric range with open or closed ends.
public struct NumberRange: Sendable, Equatable {
    public var lower: Double
    public var lowerOpen: Bool
    /// nil: unbounded above.
    public var upper: Double?
    public var upperOpen: Bool

    /// `[a, ∞)`.
    public static func atLeast(_ a: Double) -> NumberRange { NumberRange(lower: a, lowerOpen: false, upper: nil, upperOpen: false) }
    /// `(a, ∞)`.
    public static func greaterThan(_ a: Double) -> NumberRange { NumberRange(lower: a, lowerOpen: true, upper: nil, upperOpen: false) }
    /// `[a, b]`.
    public static func closed(_ a: Double, _ b: Double) -> NumberRange { NumberRange(lower: a, lowerOpen: false, upper: b, upperOpen: false) }
    /// `(a, b)`.
    public static func open(_ a: Double, _ b: Double) -> NumberRange { NumberRange(lower: a, lowerOpen: true, upper: b, upperOpen: true) }
    /// `(a, b]`.
    public static func openClosed(_ a: Double, _ b: Double) -> NumberRange { NumberRange(lower: a, lowerOpen: true, upper: b, upperOpen: false) }
    /// `[a, b)`.
    public static func closedOpen(_ a: Double, _ b: Double) -> NumberRange { NumberRange(lower: a, lowerOpen: false, upper: b, upperOpen: true) }

    public func contains(_ d: Double) -> Bool {
        let aboveLower = lowerOpen ? d > lower : d >= lower
        guard let upper else { return aboveLower }
        return aboveLower && (upperOpen ? d < upper : d <= upper)
    }

    /// As the docs write it: "≥ 0", "> 0", "(0, 1)", "(0, 10]".
    public var text: String {
        let a = SpecText.number(lower)
        guard let upper else { return (lowerOpen ? "> " : "≥ ") + a }
        return (lowerOpen ? "(" : "[") + a + ", " + SpecText.number(upper) + (upperOpen ? ")" : "]")
    }

    /// What an out-of-range value is told: "must be a non-negative number", "must be strictly between 0 and 1".
    public var requirement: String {
        let a = SpecText.number(lower)
        guard let upper else {
            if lower == 0 { return lowerOpen ? "must be a positive number" : "must be a non-negative number" }
            return lowerOpen ? "must be greater than \(a)" : "must be at least \(a)"
        }
        let b = SpecText.number(upper)
        switch (lowerOpen, upperOpen) {
        case (true, true): return "must be strictly between \(a) and \(b)"
        case (true, false): return "must be greater than \(a) and at most \(b)"
        case (false, true): return "must be in [\(a), \(b))"
        case (false, false): return "must be between \(a) and \(b)"
        }
    }
}

/// How values of one type are read from JSON (with the field's path for errors), written back, and named in the docs.
public struct FieldType<Value: Sendable>: Sendable {
    /// The type and range as the spec tables of docs/spec-reference.md write it.
    public let text: String
    let read: @Sendable (JSONValue, String) throws -> Value
    let write: @Sendable (Value) -> JSONValue

    public init(text: String, read: @escaping @Sendable (JSONValue, String) throws -> Value, write: @escaping @Sendable (Value) -> JSONValue) {
        self.text = text
        self.read = read
        self.write = write
    }

    /// The same type documented with other words (e.g. "1…10⁸" for 1...100_000_000).
    public func documented(_ text: String) -> FieldType<Value> { FieldType(text: text, read: read, write: write) }

    /// The same JSON type stored as another Swift type (e.g. a seed read as Int, kept as UInt64).
    public func stored<Other: Sendable>(as to: @escaping @Sendable (Value) -> Other, _ from: @escaping @Sendable (Other) -> Value) -> FieldType<Other> {
        let read = self.read, write = self.write
        return FieldType<Other>(text: text, read: { to(try read($0, $1)) }, write: { write(from($0)) })
    }

    /// The same type with a further check on the value read (throws a `SpecError` at the given path).
    public func checked(_ check: @escaping @Sendable (Value, String) throws -> Void) -> FieldType<Value> {
        let read = self.read
        return FieldType(text: text, read: { v, at in let x = try read(v, at); try check(x, at); return x }, write: write)
    }
}

extension FieldType where Value == Int {
    /// An integer in `range` ("≥ 1" or "1…4096" in the docs).
    public static func integer(_ range: ClosedRange<Int>) -> FieldType<Int> {
        FieldType(text: range.upperBound >= Int.max / 2 ? "≥ \(range.lowerBound)" : "\(range.lowerBound)…\(range.upperBound)",
                  read: { try SpecReader.int($0, path: $1, in: range) }, write: { .number(Double($0)) })
    }
}

extension FieldType where Value == UInt64 {
    /// A seed: an integer in 0...2⁵³ (exactly representable in a JSON number).
    public static var seed: FieldType<UInt64> {
        FieldType<Int>.integer(0...(1 << 53)).documented("integer ≥ 0").stored(as: { UInt64($0) }, { Int($0) })
    }
}

extension FieldType where Value == Double {
    /// A finite number in `range`.
    public static func number(_ range: NumberRange) -> FieldType<Double> {
        FieldType(text: range.text, read: { v, at in
            guard case .number(let d) = v else { throw SpecError(path: at, "must be a number, got \(v.typeName)") }
            guard d.isFinite else { throw SpecError(path: at, "must be finite") }
            guard range.contains(d) else { throw SpecError(path: at, range.requirement) }
            return d
        }, write: { .number($0) })
    }
}

extension FieldType where Value == Bool {
    public static var bool: FieldType<Bool> {
        FieldType(text: "bool", read: { v, at in
            guard case .bool(let b) = v else { throw SpecError(path: at, "must be true or false, got \(v.typeName)") }
            return b
        }, write: { .bool($0) })
    }
}

extension FieldType where Value == String {
    /// Any string.
    public static var string: FieldType<String> {
        FieldType(text: "string", read: { v, at in
            guard case .string(let s) = v else { throw SpecError(path: at, "must be a string, got \(v.typeName)") }
            return s
        }, write: { .string($0) })
    }
}

extension FieldType where Value == [Int] {
    /// An array of `count` integers, each in `range`.
    public static func integers(_ range: ClosedRange<Int>, count: ClosedRange<Int>) -> FieldType<[Int]> {
        FieldType(text: "array of \(count.lowerBound)–\(count.upperBound) integers in \(range.lowerBound)…\(range.upperBound)", read: { v, at in
            guard case .array(let a) = v else { throw SpecError(path: at, "must be an array of integers, got \(v.typeName)") }
            guard count.contains(a.count) else {
                throw SpecError(path: at, "must have between \(count.lowerBound) and \(count.upperBound) entries, got \(a.count)")
            }
            return try a.enumerated().map { try SpecReader.int($1, path: "\(at)[\($0)]", in: range) }
        }, write: { .array($0.map { .number(Double($0)) }) })
    }
}

extension FieldType where Value: RawRepresentable & CaseIterable, Value.RawValue == String {
    /// One of an enumeration's names; `what` names the thing in errors ("unknown miner 'x'").
    public static func choice(what: String) -> FieldType<Value> {
        let names = Value.allCases.map(\.rawValue)
        return FieldType(text: names.map { "`\($0)`" }.joined(separator: " \\| "), read: { v, at in
            guard case .string(let s) = v else { throw SpecError(path: at, "must be a string, got \(v.typeName)") }
            guard let value = Value(rawValue: s) else {
                throw SpecError(path: at, "unknown \(what) '\(s)'; expected one of \(names.joined(separator: ", "))")
            }
            return value
        }, write: { .string($0.rawValue) })
    }
}

/// How numbers and values are written in the spec docs.
enum SpecText {
    /// 2000, 0.2, 1e-8: integers without a fraction, small numbers with a plain exponent.
    static func number(_ d: Double) -> String {
        if d.rounded() == d && abs(d) < 1e15 { return String(Int64(d)) }
        return String(d).replacingOccurrences(of: "e-0", with: "e-")
    }

    /// A default value as the docs show it: numbers and booleans plain, strings and arrays as code.
    static func value(_ v: JSONValue) -> String {
        switch v {
        case .number(let d): return number(d)
        case .bool(let b): return String(b)
        case .string(let s): return "`\(s)`"
        case .null: return "none"
        case .array(let a): return "`[" + a.map { value($0).replacingOccurrences(of: "`", with: "") }.joined(separator: ", ") + "]`"
        case .object: return "object"
        }
    }
}
