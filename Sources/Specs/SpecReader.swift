// Typed, path-aware reading of a JSON object: the validator every spec field goes through.

/// Reads fields of one JSON object, tracking which keys were consumed so unknown keys are errors.
///
/// Every accessor names the full field path in its error, checks the JSON type and the range.
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

    func require(_ key: String) throws -> JSONValue {
        guard let v = raw(key) else { throw SpecError(path: fieldPath(key), "is required") }
        return v
    }

    /// A nested object reader for `key` (required unless `optional`).
    public func object(_ key: String) throws -> SpecReader {
        try SpecReader(try require(key), path: fieldPath(key))
    }

    public func optionalObject(_ key: String) throws -> SpecReader? {
        guard let v = raw(key) else { return nil }
        return try SpecReader(v, path: fieldPath(key))
    }

    public func string(_ key: String, default def: String? = nil) throws -> String {
        guard let v = raw(key) else {
            if let def { return def }
            throw SpecError(path: fieldPath(key), "is required")
        }
        guard case .string(let s) = v else { throw SpecError(path: fieldPath(key), "must be a string, got \(v.typeName)") }
        return s
    }

    /// A string, or nil when the key is absent.
    /// The optional `name` of a job: a short label for lists, reports and webhooks (at most
    /// `SpecLimits.maxNameLength` characters, no control characters).
    public func jobName() throws -> String? {
        guard let name = try optionalString("name") else { return nil }
        if name.count > SpecLimits.maxNameLength {
            throw SpecError(path: fieldPath("name"), "is \(name.count) characters long; a job name has at most \(SpecLimits.maxNameLength)")
        }
        if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw SpecError(path: fieldPath("name"), "contains a control character (newline, tab, ...); use a one-line name")
        }
        return name
    }

    /// The optional `queue` a job goes to (workers serve named queues; default "default").
    public func jobQueue() throws -> String? {
        guard let queue = try optionalString("queue") else { return nil }
        guard SpecLimits.isQueueName(queue) else {
            throw SpecError(path: fieldPath("queue"), "'\(queue)' is not a queue name; use 1 to 63 of a-z, 0-9, _ . - starting with a letter or digit")
        }
        return queue
    }

    public func optionalString(_ key: String) throws -> String? {
        guard let v = raw(key) else { return nil }
        guard case .string(let s) = v else { throw SpecError(path: fieldPath(key), "must be a string, got \(v.typeName)") }
        return s
    }

    /// A string that must be one of `choices`.
    public func choice(_ key: String, _ choices: [String], default def: String? = nil, what: String = "value") throws -> String {
        let s = try string(key, default: def)
        guard choices.contains(s) else {
            throw SpecError(path: fieldPath(key), "unknown \(what) '\(s)'; expected one of \(choices.joined(separator: ", "))")
        }
        return s
    }

    public func bool(_ key: String, default def: Bool) throws -> Bool {
        guard let v = raw(key) else { return def }
        guard case .bool(let b) = v else { throw SpecError(path: fieldPath(key), "must be true or false, got \(v.typeName)") }
        return b
    }

    /// A finite number in `range`.
    public func number(_ key: String, default def: Double? = nil, in range: ClosedRange<Double>, rangeText: String? = nil) throws -> Double {
        guard let v = raw(key) else {
            if let def { return def }
            throw SpecError(path: fieldPath(key), "is required")
        }
        return try SpecReader.number(v, path: fieldPath(key), in: range, rangeText: rangeText)
    }

    static func number(_ v: JSONValue, path: String, in range: ClosedRange<Double>, rangeText: String? = nil) throws -> Double {
        guard case .number(let d) = v else { throw SpecError(path: path, "must be a number, got \(v.typeName)") }
        guard d.isFinite else { throw SpecError(path: path, "must be finite") }
        guard range.contains(d) else {
            throw SpecError(path: path, rangeText ?? "must be between \(format(range.lowerBound)) and \(format(range.upperBound)), got \(format(d))")
        }
        return d
    }

    /// An integer in `range`; the message for out-of-range values reads "must be at least N" where that fits.
    public func int(_ key: String, default def: Int? = nil, in range: ClosedRange<Int>) throws -> Int {
        guard let v = raw(key) else {
            if let def { return def }
            throw SpecError(path: fieldPath(key), "is required")
        }
        return try SpecReader.int(v, path: fieldPath(key), in: range)
    }

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

    /// An array of integers, each in `range`, with a count in `count`.
    public func intArray(_ key: String, default def: [Int], in range: ClosedRange<Int>, count: ClosedRange<Int>) throws -> [Int] {
        guard let v = raw(key) else { return def }
        guard case .array(let a) = v else { throw SpecError(path: fieldPath(key), "must be an array of integers, got \(v.typeName)") }
        guard count.contains(a.count) else {
            throw SpecError(path: fieldPath(key), "must have between \(count.lowerBound) and \(count.upperBound) entries, got \(a.count)")
        }
        return try a.enumerated().map { try SpecReader.int($1, path: "\(fieldPath(key))[\($0)]", in: range) }
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

    /// Whether `name` is a valid queue name (the same rule as the database's check constraint).
    public static func isQueueName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        func ok(_ b: UInt8, first: Bool) -> Bool {
            (b >= 97 && b <= 122) || (b >= 48 && b <= 57) || (!first && (b == 95 || b == 46 || b == 45))
        }
        return (1...63).contains(bytes.count) && ok(bytes[0], first: true) && bytes.dropFirst().allSatisfy { ok($0, first: false) }
    }
}
