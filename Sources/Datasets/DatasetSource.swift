// Where a job's labelled points come from, and how to load them.
import Foundation
import Linalg

/// The data a job reads: a builtin, a file under the data root or an input stored in the database.
public enum DatasetSource: Sendable, Equatable {
    case digits
    case blobs(BlobsParameters)
    case toy5(seed: UInt64)
    case toy20(seed: UInt64)
    /// Features and labels .npy files, paths relative to the data root.
    case npy(features: String, labels: String)
    /// A CSV file (optionally .gz) relative to the data root.
    case csv(path: String, labelColumn: LabelColumn, header: Bool)
    /// Features and labels NPY arrays stored in the database, named by their SHA-256.
    case stored(features: String, labels: String)
    /// A CSV input stored in the database, named by its SHA-256.
    case storedCSV(input: String, labelColumn: LabelColumn, header: Bool)

    /// Loads and validates the points (finite, labels match rows, ≥ 2 classes, ≥ 2 samples a class).
    /// Checks that the files this dataset names exist under the data root (without reading them): what
    /// `isomine enqueue` checks before queueing. Builtins and stored inputs have no files.
    public func checkFilesExist(dataRoot: DataRoot, field: String = "dataset") throws {
        switch self {
        case .npy(let features, let labels):
            _ = try dataRoot.resolve(features, field: "\(field).features")
            _ = try dataRoot.resolve(labels, field: "\(field).labels")
        case .csv(let path, _, _):
            _ = try dataRoot.resolve(path, field: "\(field).path")
        case .digits, .blobs, .toy5, .toy20, .stored, .storedCSV:
            break
        }
    }

    /// Stored inputs are read through `inputs` (nil: there is no database here, and they are an error).
    /// `loneClasses`: classes of a single point are taken (an analysis; see `LabeledData.validate`).
    public func load(dataRoot: DataRoot, inputs: (any StoredInputs)? = nil, field: String = "dataset", loneClasses: Bool = false) throws -> LabeledData {
        func stored(_ sha256: String, _ sub: String) throws -> [UInt8] {
            guard let inputs else {
                throw DatasetError(field: "\(field).\(sub)", "names a stored input, which only the worker reads (from the database); enqueue the job or use isomine submit")
            }
            return try inputs.bytes(sha256: sha256, field: "\(field).\(sub)")
        }
        let data: LabeledData
        switch self {
        case .digits: data = try BuiltinDatasets.digits()
        case .blobs(let p): data = BuiltinDatasets.blobs(p)
        case .toy5(let seed): data = BuiltinDatasets.toy5(seed: seed)
        case .toy20(let seed): data = BuiltinDatasets.toy20(seed: seed)
        case .npy(let features, let labels):
            let fx = try dataRoot.resolve(features, field: "\(field).features")
            let fy = try dataRoot.resolve(labels, field: "\(field).labels")
            if let size = (try? FileManager.default.attributesOfItem(atPath: fx))?[.size] as? Int {
                try InputLimits.current.checkFileSize(size, field: "\(field).features", path: fx)
            }
            data = try NPYLoader.load(featuresFile: fx, labelsFile: fy, name: features,
                                      featuresField: "\(field).features", labelsField: "\(field).labels")
        case .csv(let path, let labelColumn, let header):
            let f = try dataRoot.resolve(path, field: "\(field).path")
            let bytes = try DataRoot.read(f, field: "\(field).path")
            if bytes.isEmpty { throw DatasetError(field: "\(field).path", "'\(path)' is an empty file") }
            data = try CSVLoader.parse(bytes, name: path, labelColumn: labelColumn, header: header, field: field)
        case .stored(let features, let labels):
            data = try NPYLoader.load(features: try stored(features, "features"), labels: try stored(labels, "labels"),
                                      name: "stored:" + features.prefix(12), featuresField: "\(field).features", labelsField: "\(field).labels")
        case .storedCSV(let input, let labelColumn, let header):
            let bytes = try stored(input, "input")
            if bytes.isEmpty { throw DatasetError(field: "\(field).input", "the stored input is empty") }
            data = try CSVLoader.parse(bytes, name: "stored:" + input.prefix(12), labelColumn: labelColumn, header: header, field: field)
        }
        try data.validate(field: field, loneClasses: loneClasses)
        return data
    }
}
