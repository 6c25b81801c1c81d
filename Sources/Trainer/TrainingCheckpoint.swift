// Checkpoints: model, optimiser, RNG and sampler state, step and history, in one binary file.
import CollapseSignals
import Foundation
import Datasets
import Linalg

/// A resumable snapshot of a training run.
///
/// Layout: the magic line `ISOMINE-CKPT 1\n`, an 8-byte little-endian header length, the JSON header
/// (everything but the big vectors), then parameters, first and second moments as little-endian Float32.
public struct TrainingCheckpoint: Sendable, Equatable {
    struct Header: Codable, Equatable {
        var config: TrainingConfig
        var step: Int
        var rng: [UInt64]
        var sampler: PKSampler
        var window: StatsWindow
        var history: [EvaluationRecord]
        var baselineSpread: Double
        var baselineProbeSpread: Double
        /// Optional: checkpoints written before the per-step signals existed have none.
        var signals: [StepSignals]?
        var warning: CollapseWarning?
        var baselineBatchSpread: Double?
        /// Optional: what the run did on its warning (checkpoints from before actions existed have none).
        var intervention: WarningIntervention?
        var optimizerUpdates: Int
        var parameterCount: Int
        var secondCount: Int
    }

    var header: Header
    var parameters: [Float]
    var first: [Float]
    var second: [Float]

    /// Training steps completed when the snapshot was taken.
    public var step: Int { header.step }
    /// The configuration the run was started with.
    public var config: TrainingConfig { header.config }

    static let magic = Array("ISOMINE-CKPT 1\n".utf8)

    /// The file bytes.
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = [UInt8](try encoder.encode(header))
        var out = TrainingCheckpoint.magic
        out.reserveCapacity(out.count + 8 + json.count + 4 * (parameters.count + first.count + second.count))
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: json)
        for vector in [parameters, first, second] {
            for v in vector { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        }
        return out
    }

    /// Parses checkpoint bytes, or throws a `TrainingError` saying what is wrong with them.
    public init(decoding bytes: [UInt8]) throws {
        let m = TrainingCheckpoint.magic
        guard bytes.count >= m.count + 8, Array(bytes[0..<m.count]) == m else {
            throw TrainingError("checkpoint: not an isomine checkpoint (bad magic)")
        }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(bytes[m.count + i]) << (8 * UInt64(i)) }
        let start = m.count + 8
        guard length < UInt64(bytes.count), start + Int(length) <= bytes.count else {
            throw TrainingError("checkpoint: truncated header")
        }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(bytes[start..<(start + Int(length))]))
        } catch {
            throw TrainingError("checkpoint: unreadable header (\(error))")
        }
        var offset = start + Int(length)
        func floats(_ n: Int) throws -> [Float] {
            guard offset + 4 * n <= bytes.count else { throw TrainingError("checkpoint: truncated tensors") }
            var out = [Float](repeating: 0, count: n)
            for i in 0..<n {
                let b = offset + 4 * i
                let u = UInt32(bytes[b]) | UInt32(bytes[b + 1]) << 8 | UInt32(bytes[b + 2]) << 16 | UInt32(bytes[b + 3]) << 24
                out[i] = Float(bitPattern: u)
            }
            offset += 4 * n
            return out
        }
        self.header = header
        self.parameters = try floats(header.parameterCount)
        self.first = try floats(header.parameterCount)
        self.second = try floats(header.secondCount)
        guard offset == bytes.count else { throw TrainingError("checkpoint: \(bytes.count - offset) unexpected trailing bytes") }
    }

    init(header: Header, parameters: [Float], first: [Float], second: [Float]) {
        self.header = header
        self.parameters = parameters
        self.first = first
        self.second = second
    }

    /// Writes the checkpoint atomically (temporary file, then rename).
    public func write(to path: String) throws {
        let data = Data(try encoded())
        let tmp = path + ".tmp"
        try data.write(to: URL(fileURLWithPath: tmp))
        if rename(tmp, path) != 0 {
            throw TrainingError("checkpoint: cannot rename \(tmp) to \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Reads a checkpoint file.
    public static func read(from path: String) throws -> TrainingCheckpoint {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TrainingError("checkpoint: cannot read \(path)")
        }
        return try TrainingCheckpoint(decoding: [UInt8](data))
    }
}
