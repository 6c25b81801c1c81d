// Labelled points: the common currency of loaders, splits, samplers and the trainer.
import Linalg

/// Points (`features`, one row each) with dense class labels `0..<classCount`.
public struct LabeledData: Sendable {
    /// Short name for reports (`digits`, a file name, ...).
    public var name: String
    /// N × D feature matrix.
    public var features: Matrix<Float>
    /// Class of each row, dense in `0..<classNames.count`.
    public var labels: [Int]
    /// The original label of each dense class id, for display.
    public var classNames: [String]
    /// How the input's values became `features` (input = features × unit + offset): the identity except
    /// for float64 inputs outside Float32's comfortable range or far from the origin (`Float32Conversion`).
    public var conversion = Float32Conversion.identity

    public init(name: String, features: Matrix<Float>, labels: [Int], classNames: [String]) {
        self.name = name
        self.features = features
        self.labels = labels
        self.classNames = classNames
    }

    /// Builds dense labels from arbitrary label tokens. Integer tokens sort numerically, others as text.
    public init(name: String, features: Matrix<Float>, rawLabels: [String]) {
        let unique = Set(rawLabels)
        let sorted: [String]
        if unique.allSatisfy({ Int($0) != nil }) {
            sorted = unique.sorted { Int($0)! < Int($1)! }
        } else {
            sorted = unique.sorted()
        }
        let index = Dictionary(uniqueKeysWithValues: sorted.enumerated().map { ($1, $0) })
        self.init(name: name, features: features, labels: rawLabels.map { index[$0]! }, classNames: sorted)
    }

    public var count: Int { features.rows }
    public var dimension: Int { features.cols }
    public var classCount: Int { classNames.count }

    /// Row indices of each class, in row order.
    public var indicesByClass: [[Int]] {
        var out = [[Int]](repeating: [], count: classCount)
        for (i, c) in labels.enumerated() { out[c].append(i) }
        return out
    }

    /// The subset at `indices` (same class ids).
    public func subset(_ indices: [Int]) -> LabeledData {
        var out = LabeledData(name: name, features: features.rows(indices), labels: indices.map { labels[$0] }, classNames: classNames)
        out.conversion = conversion
        return out
    }

    /// Checks what every job needs: labels match rows, finite values, two classes, two samples a class.
    /// With `loneClasses` (an analysis of held-out embeddings), classes of one point are taken — a test set
    /// can hold them (LFW's identities of one image, a gallery's distractors), and pytorch-metric-learning
    /// keeps them as neighbours and leaves them out as queries — as long as two classes have a pair.
    public func validate(field: String = "dataset", loneClasses: Bool = false) throws {
        if count == 0 { throw DatasetError(field: field, "has no rows") }
        if dimension == 0 { throw DatasetError(field: field, "has no feature columns") }
        if labels.count != count {
            throw DatasetError(field: field, "has \(count) feature rows but \(labels.count) labels")
        }
        if let bad = features.storage.firstIndex(where: { !$0.isFinite }) {
            let v = features.storage[bad]
            throw DatasetError(field: field, "row \(bad / dimension), column \(bad % dimension) is \(v.isNaN ? "NaN" : "infinite"); remove or impute non-finite values")
        }
        let sizes = indicesByClass.map(\.count)
        let present = sizes.filter { $0 > 0 }.count
        if present < 2 {
            throw DatasetError(field: field, "has a single class ('\(classNames.first ?? "?")'); triplet loss needs at least 2 classes")
        }
        if loneClasses {
            let paired = sizes.filter { $0 >= 2 }.count
            if paired < 2 {
                throw DatasetError(field: field, "has \(paired) class\(paired == 1 ? "" : "es") with two or more samples (of \(present) classes; the others are single points); an analysis needs at least 2 (a positive pair, and a class to tell it from)")
            }
        } else if let c = sizes.firstIndex(of: 1) {
            throw DatasetError(field: field, "class '\(classNames[c])' has a single sample; every class needs at least 2 (a positive pair)")
        }
    }
}
