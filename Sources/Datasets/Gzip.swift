// gzip decompression through zlib, for the embedded digits data and user .csv.gz files.
import CZlib
import Foundation

enum Gzip {
    /// True when `data` starts with the gzip magic bytes.
    static func isGzip(_ data: [UInt8]) -> Bool { data.count >= 2 && data[0] == 0x1F && data[1] == 0x8B }

    /// Inflates a gzip (or zlib) stream; throws a `DatasetError` naming `what` when it is corrupt.
    static func decompress(_ input: [UInt8], what: String, limit: Int = InputLimits.current.maxDecompressedBytes) throws -> [UInt8] {
        var stream = z_stream()
        // 15 + 32: maximum window, automatic gzip/zlib header detection.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DatasetError("\(what): zlib could not start inflating")
        }
        defer { inflateEnd(&stream) }
        var output = [UInt8]()
        output.reserveCapacity(min(input.count * 6, limit))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var status: Int32 = Z_OK
        try input.withUnsafeBufferPointer { inBuf in
            stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
            stream.avail_in = UInt32(inBuf.count)
            repeat {
                try chunk.withUnsafeMutableBufferPointer { outBuf in
                    stream.next_out = outBuf.baseAddress
                    stream.avail_out = UInt32(outBuf.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    if status != Z_OK && status != Z_STREAM_END {
                        throw DatasetError("\(what): not a valid gzip stream (zlib status \(status))")
                    }
                    output.append(contentsOf: outBuf[0..<(outBuf.count - Int(stream.avail_out))])
                    // Checked as it inflates: a few KB of gzip can expand to gigabytes.
                    if output.count > limit {
                        throw DatasetError("\(what): decompresses to more than \(limit) bytes, the limit (set ISOMINE_MAX_DECOMPRESSED_BYTES to raise it)")
                    }
                }
                if status == Z_OK && stream.avail_in == 0 && stream.avail_out != 0 {
                    throw DatasetError("\(what): gzip stream is truncated")
                }
            } while status != Z_STREAM_END
        }
        return output
    }
}
