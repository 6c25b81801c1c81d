// The `dataset` section of a job spec: which builtin or which files under the data root.
import Datasets

/// Parsing and echoing of `spec.dataset`.
enum DatasetSpec {
    static let types = ["digits", "blobs", "toy5", "toy20", "npy", "csv"]

    static func parse(_ r: SpecReader) throws -> DatasetSource {
        let type = try r.choice("type", types, what: "dataset")
        let source: DatasetSource
        switch type {
        case "digits": source = .digits
        case "blobs":
            let p = BlobsParameters(
                classes: try r.int("classes", default: 10, in: 2...10_000),
                perClass: try r.int("per_class", default: 100, in: 2...1_000_000),
                dim: try r.int("dim", default: 32, in: 1...4096),
                separation: try r.number("separation", default: 3.0, in: 0...1e6, rangeText: "must be a non-negative number"),
                seed: UInt64(try r.int("seed", default: 0, in: 0...(1 << 53))))
            if p.classes * p.perClass * p.dim > 50_000_000 {
                throw SpecError(path: r.path, "classes × per_class × dim = \(p.classes * p.perClass * p.dim) values exceeds the 50,000,000 limit")
            }
            source = .blobs(p)
        case "toy5": source = .toy5(seed: UInt64(try r.int("seed", default: 0, in: 0...(1 << 53))))
        case "toy20": source = .toy20(seed: UInt64(try r.int("seed", default: 0, in: 0...(1 << 53))))
        case "npy":
            source = .npy(features: try r.string("features"), labels: try r.string("labels"))
        default:
            let column: LabelColumn
            switch r.raw("label_column") {
            case nil: column = .index(-1)
            case .string(let s)?: column = .name(s)
            case let v?: column = .index(try SpecReader.int(v, path: "\(r.path).label_column", in: -100_000...100_000))
            }
            source = .csv(path: try r.string("path"), labelColumn: column, header: try r.bool("header", default: false))
        }
        try r.rejectUnknownKeys()
        return source
    }

    static func json(_ source: DatasetSource) -> JSONValue {
        switch source {
        case .digits: return .object(["type": .string("digits")])
        case .blobs(let p):
            return .object([
                "type": .string("blobs"), "classes": .number(Double(p.classes)), "per_class": .number(Double(p.perClass)),
                "dim": .number(Double(p.dim)), "separation": .number(p.separation), "seed": .number(Double(p.seed)),
            ])
        case .toy5(let seed): return .object(["type": .string("toy5"), "seed": .number(Double(seed))])
        case .toy20(let seed): return .object(["type": .string("toy20"), "seed": .number(Double(seed))])
        case .npy(let f, let l): return .object(["type": .string("npy"), "features": .string(f), "labels": .string(l)])
        case .csv(let path, let column, let header):
            let c: JSONValue
            switch column {
            case .index(let i): c = .number(Double(i))
            case .name(let n): c = .string(n)
            }
            return .object(["type": .string("csv"), "path": .string(path), "label_column": c, "header": .bool(header)])
        }
    }
}
