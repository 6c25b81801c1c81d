// L2-normalising embeddings as the loss's distance does: pytorch-metric-learning's default
// `LpDistance()` and `CosineSimilarity()` normalise each embedding before measuring, so a margin given
// to them is on the unit sphere's scale, whatever the model's raw outputs' norms are.

extension LabeledData {
    /// Each row divided by its Euclidean norm (a zero row stays zero, as torch's `F.normalize` leaves
    /// it), computed in Double on the input's own values (`conversion` undone first), then converted
    /// to Float32 again: a tight cloud of directions keeps its differences (the conversion centres it).
    public mutating func normalizeRows() {
        let n = count, d = dimension
        guard n > 0, d > 0 else { return }
        var values = [Double](repeating: 0, count: n * d)
        for i in 0..<n {
            var largest = 0.0
            for j in 0..<d {
                let v = Double(features[i, j]) * conversion.unit + (conversion.offset?[j] ?? 0)
                values[i * d + j] = v
                largest = max(largest, abs(v))
            }
            guard largest > 0 else { continue }
            // Scaled by the largest entry first, so that no square overflows or underflows.
            var sum = 0.0
            for j in 0..<d { let s = values[i * d + j] / largest; sum += s * s }
            let norm = sum.squareRoot()
            for j in 0..<d { values[i * d + j] = values[i * d + j] / largest / norm }
        }
        var stats = InputStatistics(columns: d)
        values.withUnsafeBufferPointer { stats.add($0, startingAt: 0) }
        let converted = Float32Conversion(stats, centre: true)
        for i in 0..<n { for j in 0..<d { features[i, j] = converted.apply(values[i * d + j], column: j) } }
        conversion = converted
    }
}
