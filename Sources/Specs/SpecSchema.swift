// A spec's fields, each declared once (path, type and range, default, when it applies, meaning):
// parsing, the normalised echo, `isomine run --help` and the spec tables of docs/spec-reference.md are all derived
// from the declaration, so they cannot disagree.

/// What a field takes when the spec leaves it out.
public enum FieldDefault<Root, Value: Sendable>: Sendable {
    /// A fixed value.
    case value(Value)
    /// A value that depends on fields declared earlier (documented by the text, e.g. "steps/10").
    case computed(String, @Sendable (Root) -> Value)
    /// The spec must give it.
    case required
    /// Left unset (an optional field); the text says what that means in the docs ("none").
    case absent(String)
}

/// When a field applies, e.g. only for one optimizer type; giving it otherwise is an error that says why.
public struct FieldCondition<Root>: Sendable {
    let holds: @Sendable (Root) -> Bool
    /// The message for a value given where the field does not apply ("only applies to optimizer type sgd").
    let reason: String

    public init(_ reason: String, _ holds: @escaping @Sendable (Root) -> Bool) {
        self.reason = reason
        self.holds = holds
    }
}

/// One declared field of a spec.
public struct SpecField<Root>: Sendable {
    /// Dotted path below the spec, e.g. "loss.margin".
    public let path: String
    /// The spec reference's row (docs/spec-reference.md).
    public let doc: SpecFieldDoc
    let condition: FieldCondition<Root>?
    /// Sets the field from its JSON value, or from its default when the value is nil; `at` is the full path for errors.
    let decode: @Sendable (inout Root, JSONValue?, _ at: String) throws -> Void
    /// The field's normalised value (nil: left out of the echo).
    let encode: @Sendable (Root) -> JSONValue?

    /// A field stored at a key path.
    public static func field<V>(_ path: String, _ type: FieldType<V>, _ keyPath: WritableKeyPath<Root, V> & Sendable,
                                default def: FieldDefault<Root, V>, when condition: FieldCondition<Root>? = nil,
                                _ meaning: String) -> SpecField {
        make(path, type, default: def, when: condition, meaning, get: { $0[keyPath: keyPath] }, set: { $0[keyPath: keyPath] = $1 })
    }

    /// An optional field stored at a key path (nil when absent, left out of the echo when nil).
    public static func field<V>(_ path: String, _ type: FieldType<V>, _ keyPath: WritableKeyPath<Root, V?> & Sendable,
                                default def: FieldDefault<Root, V>, when condition: FieldCondition<Root>? = nil,
                                _ meaning: String) -> SpecField {
        make(path, type, default: def, when: condition, meaning, get: { $0[keyPath: keyPath] }, set: { $0[keyPath: keyPath] = $1 })
    }

    /// A field read and written through accessors (for values kept inside an enumeration's payload).
    public static func make<V>(_ path: String, _ type: FieldType<V>, default def: FieldDefault<Root, V>,
                               when condition: FieldCondition<Root>? = nil, _ meaning: String,
                               get: @escaping @Sendable (Root) -> V?, set: @escaping @Sendable (inout Root, V) -> Void) -> SpecField {
        let defaultText: String
        switch def {
        case .value(let v): defaultText = SpecText.value(type.write(v))
        case .computed(let text, _), .absent(let text): defaultText = text
        case .required: defaultText = "—"
        }
        let read = type.read, write = type.write
        return SpecField(path: path, doc: SpecFieldDoc(field: "`\(path)`", type: type.text, defaultValue: defaultText, meaning: meaning),
                         condition: condition,
                         decode: { root, value, at in
                             if let value { set(&root, try read(value, at)); return }
                             switch def {
                             case .value(let v): set(&root, v)
                             case .computed(_, let f): set(&root, f(root))
                             case .required: throw SpecError(path: at, "is required")
                             case .absent: break
                             }
                         },
                         encode: { get($0).map(write) })
    }

    /// A field with its own decoding and echo (for values checked against other fields).
    public static func custom(_ path: String, type: String, default defaultText: String, when condition: FieldCondition<Root>? = nil,
                              _ meaning: String, decode: @escaping @Sendable (inout Root, JSONValue?, String) throws -> Void,
                              encode: @escaping @Sendable (Root) -> JSONValue?) -> SpecField {
        SpecField(path: path, doc: SpecFieldDoc(field: "`\(path)`", type: type, defaultValue: defaultText, meaning: meaning),
                  condition: condition, decode: decode, encode: encode)
    }
}

/// The fields of one spec object, in declaration order (a field's computed default and condition see the fields before it),
/// and the checks that relate several fields.
public struct SpecSchema<Root>: Sendable {
    public let fields: [SpecField<Root>]
    /// Run after every field is read; each throws a `SpecError` (the argument is the spec's own path, e.g. "spec").
    let checks: [@Sendable (Root, String) throws -> Void]
    /// Objects a bare string may stand for, by path: `"on_warning": "stop"` reads as `{"action": "stop"}`
    /// (the key the string is the value of). The echo is always the object.
    let shorthands: [String: String]

    public init(_ fields: [SpecField<Root>], shorthands: [String: String] = [:], checks: [@Sendable (Root, String) throws -> Void] = []) {
        self.fields = fields
        self.shorthands = shorthands
        self.checks = checks
    }

    /// The spec reference's rows, in declaration order.
    public var docs: [SpecFieldDoc] { fields.map(\.doc) }

    /// Reads every field from `reader` into `root` (which holds the starting values), then refuses unknown keys
    /// and runs the checks. Objects on a field's path are optional; when given they must be objects.
    public func decode(_ reader: SpecReader, into root: inout Root) throws {
        var readers: [String: SpecReader?] = ["": reader]
        var opened: [SpecReader] = [reader]
        func object(_ path: String) throws -> SpecReader? {
            if let known = readers[path] { return known }
            let (parent, key) = SpecSchema.split(path)
            let r = try object(parent)?.optionalObject(key, shorthand: shorthands[path])
            readers[path] = .some(r)
            if let r { opened.append(r) }
            return r
        }
        for field in fields {
            let (parent, key) = SpecSchema.split(field.path)
            let r = try object(parent)
            let at = "\(reader.path).\(field.path)"
            if let condition = field.condition, !condition.holds(root) {
                if r?.has(key) == true { throw SpecError(path: at, condition.reason) }
                continue
            }
            try field.decode(&root, r?.raw(key), at)
        }
        for r in opened.reversed() { try r.rejectUnknownKeys() }
        for check in checks { try check(root, reader.path) }
    }

    /// Every field that applies, with its value, nested as in the spec.
    public func encode(_ root: Root) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for field in fields where field.condition?.holds(root) ?? true {
            guard let value = field.encode(root) else { continue }
            SpecSchema.insert(value, at: field.path.split(separator: ".").map(String.init), into: &out)
        }
        return out
    }

    /// ("loss", "margin") for "loss.margin"; ("", "steps") for "steps".
    static func split(_ path: String) -> (String, String) {
        guard let dot = path.lastIndex(of: ".") else { return ("", path) }
        return (String(path[..<dot]), String(path[path.index(after: dot)...]))
    }

    static func insert(_ value: JSONValue, at path: [String], into object: inout [String: JSONValue]) {
        guard let head = path.first else { return }
        if path.count == 1 { object[head] = value; return }
        var inner: [String: JSONValue] = [:]
        if case .object(let o)? = object[head] { inner = o }
        insert(value, at: Array(path.dropFirst()), into: &inner)
        object[head] = .object(inner)
    }
}
