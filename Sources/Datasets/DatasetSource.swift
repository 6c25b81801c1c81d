// Where a job's labelled points come from, and how to load them.
import Linalg

/// The data a job reads: a builtin or a file under the data root.
public enum DatasetSource: Sendable, Equatable {
    case digits
    case blobs(BlobsParameters)
    case toy5(seed: UInt64)
    case toy20(seed: UInt64)
    /// Features and labels .npy files, paths relative to the data root.
    case npy(features: String, labels: String)
    /// A CSV file (optionally .gz) relative to the data root.
    case csv(path: String, labelColumn: LabelColumn, header: Bool)

    /// Loads and validates the points (finite, labels match rows, ≥ 2 classes, ≥ 2 samples a class).
    public func load(dataRoot: DataRoot, field: String = "dataset") throws -> LabeledData {
        let data: LabeledData
        switch self {
        case .digits: data = try BuiltinDatasets.digits()
        case .blobs(let p): data = BuiltinDatasets.blobs(p)
        case .toy5(let seed): data = BuiltinDatasets.toy5(seed: seed)
        case .toy20(let seed): data = BuiltinDatasets.toy20(seed: seed)
        case .npy(let features, let labels):
            let fx = try dataRoot.resolve(features, field: "\(field).features")
            let fy = try dataRoot.resolve(labels, field: "\(field).labels")
            data = try NPYLoader.load(
                features: try DataRoot.read(fx, field: "\(field).features"),
                labels: try DataRoot.read(fy, field: "\(field).labels"),
                name: features, featuresField: "\(field).features", labelsField: "\(field).labels")
        case .csv(let path, let labelColumn, let header):
            let f = try dataRoot.resolve(path, field: "\(field).path")
            let bytes = try DataRoot.read(f, field: "\(field).path")
            if bytes.isEmpty { throw DatasetError(field: "\(field).path", "'\(path)' is an empty file") }
            data = try CSVLoader.parse(bytes, name: path, labelColumn: labelColumn, header: header, field: field)
        }
        try data.validate(field: field)
        return data
    }
}
