// JSON allows an object to name a key twice and JSONDecoder keeps one of the values without a word, so
// a spec with `"warning"` twice would run with one of them silently dropped. Specs are read from text
// here (the CLI, `validate`, `run`), so the text is scanned for a repeated key before it is used.
// (A spec enqueued through SQL arrives as jsonb, which PostgreSQL has already reduced to the last value.)
import Foundation

enum DuplicateKeys {
    /// The first key named twice in one object of `data` (valid JSON), as (the object's path, key).
    static func first(in data: Data) -> (path: String, key: String)? {
        var scanner = Scanner(bytes: [UInt8](data))
        return scanner.value(path: "spec")
    }

    private struct Scanner {
        let bytes: [UInt8]
        var i = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func skipSpace() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
        }

        /// Scans one value starting at `i`; returns the first duplicate inside it.
        mutating func value(path: String) -> (path: String, key: String)? {
            skipSpace()
            guard i < bytes.count else { return nil }
            switch bytes[i] {
            case UInt8(ascii: "{"): return object(path: path)
            case UInt8(ascii: "["): return array(path: path)
            case UInt8(ascii: "\""): _ = string(); return nil
            default:
                // A number, true, false or null: up to the next delimiter.
                while i < bytes.count, !",]} \n\r\t".utf8.contains(bytes[i]) { i += 1 }
                return nil
            }
        }

        mutating func object(path: String) -> (path: String, key: String)? {
            i += 1
            var seen = Set<String>()
            while true {
                skipSpace()
                guard i < bytes.count else { return nil }
                if bytes[i] == UInt8(ascii: "}") { i += 1; return nil }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                let key = string()
                if !seen.insert(key).inserted { return (path, key) }
                skipSpace()
                if i < bytes.count, bytes[i] == UInt8(ascii: ":") { i += 1 }
                if let found = value(path: "\(path).\(key)") { return found }
            }
        }

        mutating func array(path: String) -> (path: String, key: String)? {
            i += 1
            var index = 0
            while true {
                skipSpace()
                guard i < bytes.count else { return nil }
                if bytes[i] == UInt8(ascii: "]") { i += 1; return nil }
                if bytes[i] == UInt8(ascii: ",") { i += 1; index += 1; continue }
                if let found = value(path: "\(path)[\(index)]") { return found }
            }
        }

        /// A string token at `i` (its opening quote), decoded (escapes included).
        mutating func string() -> String {
            let start = i
            i += 1
            var escaped = false
            while i < bytes.count {
                let b = bytes[i]
                i += 1
                if b == UInt8(ascii: "\\") { escaped = true; i += 1; continue }
                if b == UInt8(ascii: "\"") { break }
            }
            let raw = Array(bytes[start..<min(i, bytes.count)])
            if escaped, let decoded = try? JSONDecoder().decode(String.self, from: Data(raw)) { return decoded }
            return String(decoding: raw.dropFirst().dropLast(), as: UTF8.self)
        }
    }
}
