// How far a candidate f* is from f: the isometric error, the pointwise and the class-set Hausdorff distance.
import Linalg

/// The distances between f and one candidate f*, computed exactly (direct differences, Double).
public struct Discrepancy: Sendable, Equatable {
    /// sup over pairs |d_f(x1,x2) − d_f*(x1,x2)|.
    public var isometric: Double
    /// The pair attaining it.
    public var isometricPair: (Int, Int)
    /// sup_x ‖f(x) − f*(x)‖.
    public var pointwise: Double
    /// max over classes of the Hausdorff distance between f(Xⁱ) and f*(Xⁱ).
    public var classHausdorff: Double

    public static func == (a: Discrepancy, b: Discrepancy) -> Bool {
        a.isometric == b.isometric && a.isometricPair == b.isometricPair && a.pointwise == b.pointwise && a.classHausdorff == b.classHausdorff
    }

    /// Measures `candidate` against `f` (same rows, same labels). `fDistances` and `candidateDistances`
    /// are the exact squared distances of f and of the candidate (computed when not given).
    /// `fRoots`: the square roots of `fDistances` (row-major), when the caller keeps them.
    public init(f: LabeledPoints, fDistances: Matrix<Double>, fRoots: [Double]? = nil, candidate y: Matrix<Double>,
                candidateDistances: Matrix<Double>? = nil) {
        let n = f.count
        let dy = candidateDistances ?? exactPairwiseSquaredDistances(y)
        var iso = 0.0
        var pair = (0, 0)
        for i in 0..<n {
            for j in (i + 1)..<n {
                let e = abs((fRoots?[i * n + j] ?? fDistances[i, j].squareRoot()) - dy[i, j].squareRoot())
                if e > iso { iso = e; pair = (i, j) }
            }
        }
        var pointwise = 0.0
        for i in 0..<n {
            var s = 0.0
            for k in 0..<f.dimension { let d = f.points[i, k] - y[i, k]; s += d * d }
            pointwise = max(pointwise, s.squareRoot())
        }
        var hausdorff = 0.0
        for members in f.classes {
            // d_H(A, B) = max(sup_a inf_b ‖a − b‖, sup_b inf_a ‖a − b‖) between f(Xⁱ) and f*(Xⁱ).
            var forward = 0.0, backward = 0.0
            for i in members {
                var nearest = Double.infinity
                for j in members { nearest = min(nearest, Discrepancy.distance(f.points, i, y, j)) }
                forward = max(forward, nearest)
            }
            for j in members {
                var nearest = Double.infinity
                for i in members { nearest = min(nearest, Discrepancy.distance(f.points, i, y, j)) }
                backward = max(backward, nearest)
            }
            hausdorff = max(hausdorff, forward, backward)
        }
        self.isometric = iso
        self.isometricPair = pair
        self.pointwise = pointwise
        self.classHausdorff = hausdorff
    }

    static func distance(_ a: Matrix<Double>, _ i: Int, _ b: Matrix<Double>, _ j: Int) -> Double {
        var s = 0.0
        for k in 0..<a.cols { let d = a[i, k] - b[j, k]; s += d * d }
        return s.squareRoot()
    }
}
