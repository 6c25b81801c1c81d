// Inputs uploaded into the database, named by the SHA-256 of their bytes: read through this protocol so
// the dataset code does not depend on PostgreSQL (the worker's job process supplies the reader).

/// Reads stored inputs by their SHA-256 (lowercase hex).
public protocol StoredInputs: Sendable {
    /// The input's bytes; throws a `DatasetError` naming `field` when it is not stored (or was deleted).
    func bytes(sha256: String, field: String) throws -> [UInt8]
}

/// Whether `text` is a SHA-256 as stored inputs are named: 64 lowercase hex digits.
public func isStoredInputName(_ text: String) -> Bool {
    text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
}
