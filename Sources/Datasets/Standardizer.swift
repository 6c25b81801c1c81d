// Per-feature standardisation with statistics of the training split only.
import Linalg

/// Per-column mean and scale fitted on training data, applied to every split.
public struct Standardizer: Sendable, Codable, Equatable {
    public var mean: [Float]
    public var scale: [Float]

    /// Fits mean and population standard deviation per column. A constant column gets scale 1,
    /// so it is only centred (dividing by ~0 would blow up held-out values of that column).
    public init(fitting x: Matrix<Float>) {
        let n = Double(max(x.rows, 1))
        var mean = [Double](repeating: 0, count: x.cols)
        var sq = [Double](repeating: 0, count: x.cols)
        for r in 0..<x.rows {
            for c in 0..<x.cols { mean[c] += Double(x[r, c]) }
        }
        for c in 0..<x.cols { mean[c] /= n }
        for r in 0..<x.rows {
            for c in 0..<x.cols { let d = Double(x[r, c]) - mean[c]; sq[c] += d * d }
        }
        self.mean = mean.map { Float($0) }
        self.scale = sq.map { let s = ($0 / n).squareRoot(); return s < 1e-8 ? 1 : Float(s) }
    }

    /// `(x − mean) / scale`, column by column.
    public func apply(_ x: Matrix<Float>) -> Matrix<Float> {
        var out = x
        for r in 0..<x.rows {
            for c in 0..<x.cols { out[r, c] = (x[r, c] - mean[c]) / scale[c] }
        }
        return out
    }
}
