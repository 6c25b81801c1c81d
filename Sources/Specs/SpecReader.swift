// Path-aware reading of one JSON object of a spec: what `SpecSchema` reads its fields through.

/// Reads fields of one JSON object, tracking which keys were consumed so unknown keys are errors.
public final class SpecReader {
    public let path: String
    private let fields: [String: JSONValue]
    private var consumed = Set<String>()

    /// A reader over `value`, which must be an object.
    public init(_ value: JSONValue, path: String) throws {
        guard case .object(let o) = value else {
            throw SpecError(path: path, "must be an object, got \(value.typeName)")
        }
        self.path = path
        self.fields = o
    }

    func fieldPath(_ key: String) -> String { "\(path).\(key)" }

    /// Whether `key` is present (and not null).
    public func has(_ key: String) -> Bool {
        if let v = fields[key], v != .null { return true }
        return false
    }

    /// The raw value of `key`, marking it consumed.
    public func raw(_ key: String) -> JSONValue? {
        consumed.insert(key)
        guard let v = fields[key], v != .null else { return nil }
        return v
    }

    /// A nested object reader for `key`, nil when absent.
    public func optionalObject(_ key: String, shorthand: String? = nil) throws -> SpecReader? {
        guard let v = raw(key) else { return nil }
        if let shorthand, case .string = v {
            return try SpecReader(.object([shorthand: v]), path: fieldPath(key))
        }
        return try SpecReader(v, path: fieldPath(key))
    }

    /// A required string (the spec's `kind`).
    public func string(_ key: String) throws -> String {
        guard let v = raw(key) else { throw SpecError(path: fieldPath(key), "is required") }
        guard case .string(let s) = v else { throw SpecError(path: fieldPath(key), "must be a string, got \(v.typeName)") }
        return s
    }

    /// An integer in `range`; the message for out-of-range values reads "must be at least N" where that fits.
    static func int(_ v: JSONValue, path: String, in range: ClosedRange<Int>) throws -> Int {
        guard case .number(let d) = v else { throw SpecError(path: path, "must be an integer, got \(v.typeName)") }
        guard d.isFinite, d.rounded() == d, abs(d) <= 9.0e15 else {
            throw SpecError(path: path, "must be an integer, got \(format(d))")
        }
        let i = Int(d)
        if i < range.lowerBound {
            throw SpecError(path: path, range.upperBound >= Int.max / 2 ? "must be at least \(range.lowerBound)" : "must be between \(range.lowerBound) and \(range.upperBound), got \(i)")
        }
        if i > range.upperBound {
            throw SpecError(path: path, range.lowerBound <= Int.min / 2 ? "must be at most \(range.upperBound)" : "must be between \(range.lowerBound) and \(range.upperBound), got \(i)")
        }
        return i
    }

    /// Throws for the first key (in sorted order) that no accessor read.
    public func rejectUnknownKeys() throws {
        let unknown = fields.keys.filter { !consumed.contains($0) }.sorted()
        if let first = unknown.first {
            let known = consumed.sorted().joined(separator: ", ")
            throw SpecError(path: fieldPath(first), "unknown field" + (known.isEmpty ? "" : "; known fields here: \(known)"))
        }
    }

    /// Formats a number for messages without a trailing `.0` on integers.
    static func format(_ d: Double) -> String {
        if d.rounded() == d && abs(d) < 1e15 { return String(Int64(d)) }
        return String(d)
    }
}

/// Size limits of a spec, checked before it is parsed further.
public enum SpecLimits {
    /// Largest spec accepted (bytes of JSON text).
    public static let maxSpecBytes = 1 << 20
    /// Longest job name (characters).
    public static let maxNameLength = 200

    /// Whether `name` is a valid series name (the same rule as the database's check constraint).
    public static func isSeriesName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        func ok(_ b: UInt8, first: Bool) -> Bool {
            (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || (b >= 48 && b <= 57) || (!first && (b == 95 || b == 46 || b == 45))
        }
        return (1...100).contains(bytes.count) && ok(bytes[0], first: true) && bytes.dropFirst().allSatisfy { ok($0, first: false) }
    }

    /// Whether `name` is a valid queue name (the same rule as the database's check constraint).
    public static func isQueueName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        func ok(_ b: UInt8, first: Bool) -> Bool {
            (b >= 97 && b <= 122) || (b >= 48 && b <= 57) || (!first && (b == 95 || b == 46 || b == 45))
        }
        return (1...63).contains(bytes.count) && ok(bytes[0], first: true) && bytes.dropFirst().allSatisfy { ok($0, first: false) }
    }
}
