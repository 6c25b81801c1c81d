// The estimators' input: an embedding f(X) in Double with dense class labels, checked once.
import Linalg

/// Labelled points f(x) ∈ Rⁿ, validated for the estimators.
public struct LabeledPoints: Sendable {
    /// N × n coordinates.
    public let points: Matrix<Double>
    /// Class of each row, dense `0..<classCount`.
    public let labels: [Int]
    /// Row indices of each class.
    public let classes: [[Int]]

    public var count: Int { points.rows }
    public var dimension: Int { points.cols }

    /// Checks counts, finiteness and classes; relabels densely (class order of first appearance sorted by id).
    public init(points: Matrix<Double>, labels: [Int]) throws {
        guard labels.count == points.rows else {
            throw EstimatorError("labels: \(labels.count) labels for \(points.rows) embeddings")
        }
        guard points.rows >= 3 else {
            throw EstimatorError("embeddings: \(points.rows) points; the estimators need at least 3")
        }
        guard points.cols >= 1 else { throw EstimatorError("embeddings: no coordinates") }
        if let bad = points.storage.firstIndex(where: { !$0.isFinite }) {
            throw EstimatorError("embeddings: row \(bad / points.cols), column \(bad % points.cols) is \(points.storage[bad].isNaN ? "NaN" : "infinite")")
        }
        // Squared distances of larger coordinates overflow Double; below that every computation is finite.
        if let big = points.storage.firstIndex(where: { abs($0) > 1e150 }) {
            throw EstimatorError("embeddings: row \(big / points.cols), column \(big % points.cols) is \(points.storage[big]); values up to 1e150 in magnitude are supported")
        }
        let ids = Array(Set(labels)).sorted()
        guard ids.count >= 2 else {
            throw EstimatorError("labels: a single class; triplet separation needs at least 2 classes")
        }
        var sizes = [Int: Int]()
        for l in labels { sizes[l, default: 0] += 1 }
        guard sizes.values.contains(where: { $0 >= 2 }) else {
            throw EstimatorError("labels: every class has a single point; a triplet needs an anchor with a positive of its class")
        }
        let dense = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
        self.points = points
        self.labels = labels.map { dense[$0]! }
        var classes = [[Int]](repeating: [], count: ids.count)
        for (i, c) in self.labels.enumerated() { classes[c].append(i) }
        self.classes = classes
    }

    /// The same labels with other coordinates (a candidate f*), without re-validating.
    func with(points: Matrix<Double>) -> LabeledPoints {
        LabeledPoints(unchecked: points, labels: labels, classes: classes)
    }

    private init(unchecked points: Matrix<Double>, labels: [Int], classes: [[Int]]) {
        self.points = points
        self.labels = labels
        self.classes = classes
    }
}
