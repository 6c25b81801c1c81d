// The `dataset` section of a job spec: which builtin or which files under the data root. Its fields
// are declared once in `DatasetSpec.schema`, each applying to the dataset types that use it.
import Datasets

/// The `dataset.type` names.
public enum DatasetType: String, CaseIterable, Sendable {
    case digits, blobs, toy5, toy20, npy, csv, stored
    case storedCSV = "stored_csv"

    /// What the type holds (docs/spec-reference.md's dataset table).
    public var about: String {
        switch self {
        case .digits: return "UCI optical digits as shipped by scikit-learn: 1797 × 64, 10 classes, embedded in the binary"
        case .blobs: return "Gaussian classes: centres ~ N(0, separation²·I), points ~ N(centre, I)"
        case .toy5: return "the paper's toy: 5 points (3 + 2) uniform in the unit square of R²"
        case .toy20: return "20 points (10 + 10) uniform in the unit square of R²"
        case .npy: return "NumPy files: features `(N, D)` float16, float32 or float64 (float16, what mixed-precision training produces, is read exactly), labels `(N,)` integers; C or Fortran order, either byte order"
        case .csv:
            return "comma-separated numbers, optionally gzip-compressed (`.csv.gz`); `label_column` is an index (negative counts from the end) or, with `header: true`, a column name. Labels may be any text; features must be numbers"
        case .stored:
            return "NPY arrays uploaded into the database (`isomine submit`, `isomine.submit_embeddings`, `isomine.store_input`), named by the SHA-256 of their bytes: no file on the worker"
        case .storedCSV: return "a CSV input uploaded into the database (`isomine.store_input(bytes, 'csv')`), read as `csv`"
        }
    }
}

/// The fields of `spec.dataset` while it is read: every type's fields, of which the type's own are used.
struct DatasetFields: Sendable {
    var type = DatasetType.digits
    var classes = 10, perClass = 100, dim = 32
    var separation = 3.0
    var seed: UInt64 = 0
    var features = "", labels = "", path = "", input = ""
    var labelColumn = LabelColumn.index(-1)
    var header = false

    init() {}

    init(_ source: DatasetSource) {
        switch source {
        case .digits: type = .digits
        case .blobs(let p):
            (type, classes, perClass, dim, separation, seed) = (.blobs, p.classes, p.perClass, p.dim, p.separation, p.seed)
        case .toy5(let s): (type, seed) = (.toy5, s)
        case .toy20(let s): (type, seed) = (.toy20, s)
        case .npy(let f, let l): (type, features, labels) = (.npy, f, l)
        case .csv(let p, let c, let h): (type, path, labelColumn, header) = (.csv, p, c, h)
        case .stored(let f, let l): (type, features, labels) = (.stored, f, l)
        case .storedCSV(let i, let c, let h): (type, input, labelColumn, header) = (.storedCSV, i, c, h)
        }
    }

    var source: DatasetSource {
        switch type {
        case .digits: return .digits
        case .blobs: return .blobs(BlobsParameters(classes: classes, perClass: perClass, dim: dim, separation: separation, seed: seed))
        case .toy5: return .toy5(seed: seed)
        case .toy20: return .toy20(seed: seed)
        case .npy: return .npy(features: features, labels: labels)
        case .csv: return .csv(path: path, labelColumn: labelColumn, header: header)
        case .stored: return .stored(features: features, labels: labels)
        case .storedCSV: return .storedCSV(input: input, labelColumn: labelColumn, header: header)
        }
    }
}

extension FieldType where Value == LabelColumn {
    /// A column index (negative counts from the end) or a header name.
    static var labelColumn: FieldType<LabelColumn> {
        FieldType(text: "integer or string", read: { v, at in
            if case .string(let s) = v { return .name(s) }
            return .index(try SpecReader.int(v, path: at, in: -100_000...100_000))
        }, write: { column in
            switch column {
            case .index(let i): return .number(Double(i))
            case .name(let n): return .string(n)
            }
        })
    }
}

/// Parsing and echoing of `spec.dataset`.
enum DatasetSpec {
    /// A condition: the field belongs to these dataset types.
    static func only(_ types: DatasetType...) -> FieldCondition<DatasetFields> {
        let names = types.map(\.rawValue)
        return FieldCondition("only applies to dataset type\(names.count > 1 ? "s" : "") \(names.joined(separator: ", "))") { types.contains($0.type) }
    }

    /// Largest blobs dataset (values) generated.
    static let maxBlobValues = 50_000_000

    static let schema = SpecSchema<DatasetFields>([
        .field("type", .choice(what: "dataset"), \.type, default: .required, "see the table"),
        .field("classes", .integer(2...10_000), \.classes, default: .value(10), when: only(.blobs), "classes"),
        .field("per_class", .integer(2...1_000_000), \.perClass, default: .value(100), when: only(.blobs), "points per class"),
        .field("dim", .integer(1...4096), \.dim, default: .value(32), when: only(.blobs), "dimension"),
        .field("separation", .number(.atLeast(0)), \.separation, default: .value(3), when: only(.blobs), "spread of the class centres"),
        .field("seed", .seed, \.seed, default: .value(0), when: only(.blobs, .toy5, .toy20), "seeds the generated points"),
        .field("features", .string, \.features, default: .required, when: only(.npy, .stored),
               "features file under the data root (npy), or a stored input's SHA-256 (stored)"),
        .field("labels", .string, \.labels, default: .required, when: only(.npy, .stored),
               "labels file under the data root (npy), or a stored input's SHA-256 (stored)"),
        .field("path", .string, \.path, default: .required, when: only(.csv), "CSV file under the data root"),
        .field("input", .string, \.input, default: .required, when: only(.storedCSV), "a stored CSV input's SHA-256"),
        .field("label_column", .labelColumn, \.labelColumn, default: .value(.index(-1)), when: only(.csv, .storedCSV), "the labels' column"),
        .field("header", .bool, \.header, default: .value(false), when: only(.csv, .storedCSV), "whether the first line names the columns"),
    ], checks: [{ d, at in
        let names: [(String, String)] = d.type == .stored ? [("features", d.features), ("labels", d.labels)]
            : d.type == .storedCSV ? [("input", d.input)] : []
        for (key, value) in names where !isStoredInputName(value) {
            throw SpecError(path: "\(at).\(key)", "'\(value.prefix(80))' is not a stored input's name (the SHA-256 of its bytes: 64 lowercase hex digits)")
        }
    }, { d, at in
        if d.type == .blobs, d.classes * d.perClass * d.dim > maxBlobValues {
            throw SpecError(path: "\(at)", "classes × per_class × dim = \(d.classes * d.perClass * d.dim) values exceeds the 50,000,000 limit")
        }
    }])

    static func parse(_ r: SpecReader) throws -> DatasetSource {
        var fields = DatasetFields()
        try schema.decode(r, into: &fields)
        return fields.source
    }

    static func json(_ source: DatasetSource) -> JSONValue {
        .object(schema.encode(DatasetFields(source)))
    }

    /// Each type's fields with their defaults ("`classes` (10), …"; "—" for none).
    static func fieldList(_ type: DatasetType) -> String {
        var probe = DatasetFields()
        probe.type = type
        let fields = schema.fields.dropFirst().filter { $0.condition?.holds(probe) ?? true }.map { f in
            f.doc.defaultValue == "—" ? f.doc.field : "\(f.doc.field) (\(f.doc.defaultValue.replacingOccurrences(of: "`", with: "")))"
        }
        return fields.isEmpty ? "—" : fields.joined(separator: ", ")
    }

    /// docs/spec-reference.md's dataset table: each type with its fields (and their defaults) and what it holds.
    static var markdownTable: String {
        let rows = DatasetType.allCases.map { "| `\($0.rawValue)` | \(fieldList($0)) | \($0.about) |" }
        return (["| type | fields (defaults) | data |", "|---|---|---|"] + rows).joined(separator: "\n")
    }

    /// The same for `--help`: one line per type.
    static var plainText: String {
        DatasetType.allCases.map { "  \($0.rawValue): " + fieldList($0).replacingOccurrences(of: "`", with: "") }.joined(separator: "\n")
    }
}
