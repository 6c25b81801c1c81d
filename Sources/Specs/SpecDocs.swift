// Every job-spec field as documented: the rows of the spec tables of docs/spec-reference.md and of `isomine run --help`,
// taken from the spec schemas (a test keeps docs/spec-reference.md equal to them).

/// One documented spec field: as in docs/spec-reference.md's tables (Markdown inline code kept as written).
public struct SpecFieldDoc: Sendable, Equatable {
    /// The field, e.g. "`loss.margin`" (several names for fields documented together).
    public let field: String
    public let type: String
    public let defaultValue: String
    public let meaning: String
}

/// The documented fields of each spec kind, in the spec reference's order: the rows of each kind's schema.
public enum SpecDocs {
    public static var train: [SpecFieldDoc] { TrainSpec.schema.docs }
    public static var analyze: [SpecFieldDoc] { AnalyzeSpec.schema.docs }
    public static var sweep: [SpecFieldDoc] { SweepSpec.schema.docs }
    /// docs/spec-reference.md's table of dataset types and their fields.
    public static var datasets: String { DatasetSpec.markdownTable }
    /// The dataset types and their fields as plain text for `--help`.
    public static var datasetsPlainText: String { DatasetSpec.plainText }

    /// The rows as a Markdown table (what docs/spec-reference.md holds).
    public static func markdown(_ rows: [SpecFieldDoc]) -> String {
        (["| field | type, range | default | meaning |", "|---|---|---|---|"]
            + rows.map { "| \($0.field) | \($0.type) | \($0.defaultValue) |" + ($0.meaning.isEmpty ? " |" : " \($0.meaning) |") }).joined(separator: "\n")
    }

    /// The rows as plain text for `--help`: field, type and default on one line, the meaning below.
    public static func plainText(_ rows: [SpecFieldDoc]) -> String {
        func plain(_ s: String) -> String { s.replacingOccurrences(of: "`", with: "").replacingOccurrences(of: "\\|", with: "|").replacingOccurrences(of: "**", with: "") }
        return rows.map { r in
            let head = "  " + plain(r.field) + "  (" + plain(r.type) + "; default " + plain(r.defaultValue) + ")"
            return r.meaning.isEmpty ? head : head + "\n      " + plain(r.meaning)
        }.joined(separator: "\n")
    }
}
