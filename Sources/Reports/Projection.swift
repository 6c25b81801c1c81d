// Two-dimensional views of embeddings: the raw plane when n = 2, else the top two principal axes.
import Linalg
import Foundation

/// A linear map to the plane, fitted on one embedding and applied to others (so start, end and f*
/// plots of a run can share axes where that makes sense).
public struct Projection: Sendable {
    let mean: [Double]
    /// Two d-vectors (principal axes), or nil for the identity on a plane (n ≤ 2).
    let axes: [[Double]]?
    /// Axis titles.
    public let xLabel: String
    public let yLabel: String

    /// Fits on `points` (N × n).
    public init(fitting points: Matrix<Double>) {
        mean = points.columnMeans
        if points.cols <= 2 {
            axes = nil
            xLabel = "f₁"
            yLabel = points.cols == 2 ? "f₂" : "0"
            return
        }
        guard let (axes, values) = points.rows < points.cols ? Projection.gramAxes(points, mean: mean) : Projection.covarianceAxes(points) else {
            axes = [Array(repeating: 0, count: points.cols), Array(repeating: 0, count: points.cols)]
            xLabel = "PC1"; yLabel = "PC2"
            return
        }
        self.axes = axes
        xLabel = String(format: "PC1 (%.0f%% of variance)", 100 * values.first)
        yLabel = String(format: "PC2 (%.0f%% of variance)", 100 * values.second)
    }

    /// The top two eigenvectors of the n × n covariance, and their shares of the variance.
    static func covarianceAxes(_ points: Matrix<Double>) -> ([[Double]], (first: Double, second: Double))? {
        guard let eigen = SymmetricEigen(points.covariance) else { return nil }
        let n = points.cols, total = max(eigen.values.reduce(0, +), 1e-300)
        // Ascending eigenvalues: the last two are the principal axes.
        return ([(0..<n).map { eigen.vectors[$0, n - 1] }, (0..<n).map { eigen.vectors[$0, n - 2] }],
                (max(eigen.values[n - 1], 0) / total, max(eigen.values[n - 2], 0) / total))
    }

    /// The same axes from the points' Gram matrix when N < n (`GramPrincipalAxes`): a 256-point probe of
    /// 4096-D embeddings took about 10 s a chart through the covariance.
    static func gramAxes(_ points: Matrix<Double>, mean: [Double]) -> ([[Double]], (first: Double, second: Double))? {
        guard let gram = GramPrincipalAxes(centred: points.centred(on: mean)) else { return nil }
        let total = max(gram.total, 1e-300), zero = [Double](repeating: 0, count: points.cols)
        func axis(_ k: Int) -> [Double] { k < gram.axes.count ? gram.axes[k] : zero }
        func share(_ k: Int) -> Double { k < gram.values.count ? gram.values[k] / total : 0 }
        return ([axis(0), axis(1)], (share(0), share(1)))
    }

    /// The points in the plane.
    public func apply(_ points: Matrix<Double>) -> [(x: Double, y: Double)] {
        (0..<points.rows).map { r in
            guard let axes else { return (points[r, 0], points.cols > 1 ? points[r, 1] : 0) }
            var x = 0.0, y = 0.0
            for c in 0..<points.cols {
                let v = points[r, c] - mean[c]
                x += v * axes[0][c]
                y += v * axes[1][c]
            }
            return (x, y)
        }
    }
}

