// L2-normalising embeddings as the loss's distance does: pytorch-metric-learning's default
// `LpDistance()` and `CosineSimilarity()` normalise each embedding before measuring, so a margin given
// to them is on the unit sphere's scale, whatever the model's raw outputs' norms are.
import Linalg

extension LabeledData {
    /// Each row divided by its Euclidean norm (`rowsNormalized`: a zero row stays zero, as torch's
    /// `F.normalize` leaves it), computed in Double on the input's own values (`conversion` undone
    /// first), then converted to Float32 again: a tight cloud of directions keeps its differences (the
    /// conversion centres it).
    public mutating func normalizeRows() {
        let n = count, d = dimension
        guard n > 0, d > 0 else { return }
        var given = Matrix<Double>(rows: n, cols: d)
        for i in 0..<n { for j in 0..<d { given[i, j] = Double(features[i, j]) * conversion.unit + (conversion.offset?[j] ?? 0) } }
        let values = rowsNormalized(given).storage
        var stats = InputStatistics(columns: d)
        values.withUnsafeBufferPointer { stats.add($0, startingAt: 0) }
        let converted = Float32Conversion(stats, centre: true)
        for i in 0..<n { for j in 0..<d { features[i, j] = converted.apply(values[i * d + j], column: j) } }
        conversion = converted
    }
}
