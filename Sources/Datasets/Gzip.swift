// gzip decompression through zlib, streamed in chunks, for the embedded digits data and user .csv.gz files.
import CZlib
import Foundation

enum Gzip {
    /// True when `data` starts with the gzip magic bytes.
    static func isGzip(_ data: [UInt8]) -> Bool { data.count >= 2 && data[0] == 0x1F && data[1] == 0x8B }

    /// Bytes handed to `inflate`'s body at a time.
    static let chunkBytes = 1 << 16

    /// Inflates a gzip (or zlib) stream chunk by chunk, handing each to `body` and keeping none: memory
    /// stays at one chunk however far the stream expands. Throws a `DatasetError` naming `what` when it
    /// is corrupt or expands past `limit` bytes (checked as it inflates: a few KB of gzip can expand to
    /// gigabytes). Returns the decompressed size.
    @discardableResult
    static func inflate(_ input: [UInt8], what: String, limit: Int = InputLimits.current.maxDecompressedBytes,
                        _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws -> Int {
        var stream = z_stream()
        // 15 + 32: maximum window, automatic gzip/zlib header detection.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DatasetError("\(what): zlib could not start inflating")
        }
        defer { inflateEnd(&stream) }
        var chunk = [UInt8](repeating: 0, count: chunkBytes)
        var total = 0
        var status: Int32 = Z_OK
        try input.withUnsafeBufferPointer { inBuf in
            stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
            stream.avail_in = UInt32(inBuf.count)
            repeat {
                try chunk.withUnsafeMutableBufferPointer { outBuf in
                    stream.next_out = outBuf.baseAddress
                    stream.avail_out = UInt32(outBuf.count)
                    status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    if status != Z_OK && status != Z_STREAM_END {
                        throw DatasetError("\(what): not a valid gzip stream (zlib status \(status))")
                    }
                    let produced = outBuf.count - Int(stream.avail_out)
                    total += produced
                    if total > limit {
                        throw DatasetError("\(what): decompresses to more than \(limit) bytes, the limit (set ISOMINE_MAX_DECOMPRESSED_BYTES to raise it)")
                    }
                    try body(UnsafeBufferPointer(rebasing: outBuf[0..<produced]))
                }
                if status == Z_OK && stream.avail_in == 0 && stream.avail_out != 0 {
                    throw DatasetError("\(what): gzip stream is truncated")
                }
            } while status != Z_STREAM_END
        }
        return total
    }
}
