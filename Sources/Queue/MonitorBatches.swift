// The step-0 batches a monitor sent (its run's first training batches, the first embedded by the
// untrained network), read as a job reads its stored inputs and split into the run's batches. Two
// readers: the worker's step-0 collapse risk, and a monitored series' first checkpoint, which asks
// whether the untrained network was at chance.
import Datasets
import Estimators
import Linalg
import Specs
import Vocabulary

/// Why a monitor's stored step-0 batches could not be read (stored on the series as `risk.error`).
public struct MonitorInputError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// One batch of the monitor's step-0 batches.
public struct MonitorBatch: Sendable {
    public var points: Matrix<Double>
    public var labels: [Int]
}

public enum MonitorBatches {
    /// The largest step-0 batch and dimension read (isomine.start_monitor's limits): each batch's pairwise
    /// distances are computed in the reader's own process.
    public static let maxBatch = 2048, maxDimension = 4096

    /// The batches stored as `embeddings` and `labels` (stored inputs' SHA-256), split by the monitor's
    /// `batch_size` (else `classes_per_batch` × `samples_per_class`, else one batch); the first `limit`
    /// of them when given (only those are converted to Double).
    public static func read(monitor: JSONValue, embeddings: String, labels: String, inputs: DatabaseInputs, name: String,
                            limit: Int? = nil) throws -> [MonitorBatch] {
        func number(_ key: String) -> Double? { if case .number(let v)? = monitor[key] { v } else { nil } }
        let e = try inputs.bytes(sha256: embeddings, field: "embeddings"), l = try inputs.bytes(sha256: labels, field: "labels")
        let data = try NPYLoader.load(features: e, labels: l, name: name, featuresField: "embeddings", labelsField: "labels")
        let batch = number("batch_size").map { Int($0) }
            ?? (number("classes_per_batch").flatMap { p in number("samples_per_class").map { Int(p * $0) } } ?? data.labels.count)
        // isomine.start_monitor refuses more; checked again before any distances are allocated.
        guard batch <= maxBatch, data.features.cols <= maxDimension else {
            throw MonitorInputError("batches of \(batch) × \(data.features.cols) are over the limits (\(maxBatch) rows, \(maxDimension) dimensions)")
        }
        guard batch >= 2, data.labels.count % batch == 0 else {
            throw MonitorInputError("\(data.labels.count) step-0 rows are not whole batches of \(batch)")
        }
        return stride(from: 0, to: data.labels.count, by: batch).prefix(limit ?? Int.max).map { start in
            MonitorBatch(points: data.features.rows(Array(start..<(start + batch))).converted(to: Double.self),
                         labels: Array(data.labels[start..<(start + batch)]))
        }
    }
}

extension MonitorBatch {
    /// κ of the batch (leave-one-out 1-NN P@1 above its chance, on a 0–1 scale), the chance, and how many
    /// queries it was measured on (points whose class has another point in the batch); nil with none.
    public var kappa: (kappa: Double, chance: Double, rows: Int)? {
        let (precision, chance) = nearestNeighbourPrecision(squaredDistances: exactPairwiseSquaredDistances(points).storage, labels: labels)
        var counts = [Int: Int]()
        for l in labels { counts[l, default: 0] += 1 }
        let queries = labels.filter { counts[$0]! > 1 }.count
        guard queries > 0 else { return nil }
        return (DiagnosisInputs.kappa(precisionAt1: precision, chance: chance), chance, queries)
    }
}
