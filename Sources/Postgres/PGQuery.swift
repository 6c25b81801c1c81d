// A statement and its typed parameters, written as one Swift string: every interpolated value becomes a
// `$n` placeholder with its value bound separately (never spliced into the SQL text).

/// A SQL statement with typed parameters, built by string interpolation:
///
///     db.execute("SELECT state FROM isomine.jobs WHERE id = \(id) AND lease_owner = \(owner)")
///
/// sends `SELECT state FROM isomine.jobs WHERE id = $1 AND lease_owner = $2` with `id` bound as an
/// int8 and `owner` as text. A value can only be bound, so a query cannot be injected into; a nil
/// optional binds SQL NULL of its type. Another `PGQuery` interpolated (or added with `+`) is spliced
/// as SQL, its placeholders renumbered after this one's: that is how fixed fragments (a lease CTE) are reused.
public struct PGQuery: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    /// The SQL text with `$1…$n` placeholders.
    public private(set) var sql: String
    /// The values of `$1…$n`, in order.
    public private(set) var binds: [PGBind]

    public init(stringLiteral value: String) {
        sql = value
        binds = []
    }

    public init(stringInterpolation: StringInterpolation) {
        sql = stringInterpolation.sql
        binds = stringInterpolation.binds
    }

    /// SQL assembled by the program from fixed pieces (never from input): the migration scripts, `LISTEN`
    /// on one of isomine's channel names. Values still go through interpolation.
    public init(unsafeSQL sql: String) {
        self.sql = sql
        binds = []
    }

    /// The SQL text (never the values, which may be secrets).
    public var description: String { sql }

    /// `a` then `b`, with `b`'s placeholders renumbered after `a`'s.
    public static func + (a: PGQuery, b: PGQuery) -> PGQuery {
        var out = a
        out.append(b)
        return out
    }

    mutating func append(_ other: PGQuery) {
        sql += PGQuery.renumber(other.sql, by: binds.count)
        binds += other.binds
    }

    /// Shifts every `$n` placeholder by `offset`. Only isomine's own fragments are renumbered, and they
    /// hold no `$` other than placeholders (no dollar quoting, no `$` in literals): checked by the tests.
    static func renumber(_ sql: String, by offset: Int) -> String {
        guard offset > 0, sql.contains("$") else { return sql }
        var out = ""
        var digits = ""
        var inPlaceholder = false
        func flush() {
            if inPlaceholder { out += digits.isEmpty ? "$" : "$\(Int(digits)! + offset)" }
            inPlaceholder = false
            digits = ""
        }
        for c in sql {
            if inPlaceholder, c.isASCII, c.isNumber {
                digits.append(c)
                continue
            }
            flush()
            if c == "$" { inPlaceholder = true } else { out.append(c) }
        }
        flush()
        return out
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        var sql = ""
        var binds: [PGBind] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + 3 * interpolationCount)
            binds.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) { sql += literal }

        /// A value, bound as its type.
        public mutating func appendInterpolation<T: PGEncodable>(_ value: T) {
            binds.append(value.pgBind)
            sql += "$\(binds.count)"
        }

        /// An optional value: nil binds SQL NULL of the value's type.
        public mutating func appendInterpolation<T: PGEncodable>(_ value: T?) {
            binds.append(value?.pgBind ?? PGBind(type: T.pgType, bytes: nil))
            sql += "$\(binds.count)"
        }

        /// A name (a database, a channel) where SQL takes an identifier, which cannot be a parameter:
        /// spliced double-quoted, with its quotes doubled, so it is only ever read as one name.
        public mutating func appendInterpolation(identifier name: String) {
            sql += "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }

        /// A fragment of SQL with its own binds, spliced in.
        public mutating func appendInterpolation(_ fragment: PGQuery) {
            sql += PGQuery.renumber(fragment.sql, by: binds.count)
            binds += fragment.binds
        }
    }
}
