// Text lines out of a stream of byte chunks, holding at most one line between chunks.

/// Splits byte chunks into lines ended by "\n", "\r\n" or "\r" (a "\r\n" split across two chunks is one
/// ending); a final line without an ending is a line too, a trailing ending adds none. Only a line
/// that spans chunks is copied, and no line, in one chunk or across several, may be longer than
/// `maxLineBytes`: a file without line breaks cannot make the splitter hold all of it.
struct LineSplitter {
    let maxLineBytes: Int
    /// The spec field and the input's name, for errors.
    let field: String
    let name: String
    /// The start of a line whose end is in a later chunk.
    private var carry: [UInt8] = []
    /// The previous chunk ended with "\r": a "\n" opening this one ends nothing more.
    private var afterCR = false
    /// Lines handed out so far.
    private(set) var lineCount = 0

    init(maxLineBytes: Int, field: String, name: String) {
        self.maxLineBytes = maxLineBytes
        self.field = field
        self.name = name
    }

    private func tooLong(_ number: Int) -> DatasetError {
        DatasetError(field: field, "'\(name)' line \(number) is longer than \(maxLineBytes) bytes (a CSV file has one row per line, of at most ISOMINE_MAX_DIMENSION + 1 columns)")
    }

    /// Hands every line completed by `chunk` to `line` with its 1-based number (the bytes are valid
    /// only during the call).
    mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>, _ line: (Int, UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        var start = 0
        if afterCR, chunk.count > 0 {
            afterCR = false
            if chunk[0] == 0x0A { start = 1 }
        }
        var i = start
        while i < chunk.count {
            let byte = chunk[i]
            guard byte == 0x0A || byte == 0x0D else { i += 1; continue }
            try emit(UnsafeBufferPointer(rebasing: chunk[start..<i]), line)
            if byte == 0x0D {
                if i + 1 < chunk.count { if chunk[i + 1] == 0x0A { i += 1 } } else { afterCR = true }
            }
            i += 1
            start = i
        }
        if start < chunk.count {
            if carry.count + (chunk.count - start) > maxLineBytes {
                throw tooLong(lineCount + 1)
            }
            carry.append(contentsOf: chunk[start...])
        }
    }

    /// Hands out the last line if the input did not end with a line break.
    mutating func finish(_ line: (Int, UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        if !carry.isEmpty {
            let last = carry
            carry = []
            lineCount += 1
            try last.withUnsafeBufferPointer { try line(lineCount, $0) }
        }
    }

    private mutating func emit(_ tail: UnsafeBufferPointer<UInt8>, _ line: (Int, UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        lineCount += 1
        if carry.count + tail.count > maxLineBytes { throw tooLong(lineCount) }
        if carry.isEmpty {
            try line(lineCount, tail)
        } else {
            carry.append(contentsOf: tail)
            let whole = carry
            carry.removeAll(keepingCapacity: true)
            try whole.withUnsafeBufferPointer { try line(lineCount, $0) }
        }
    }
}
