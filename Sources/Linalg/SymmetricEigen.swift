// Eigen-decomposition of a symmetric matrix through LAPACK dsyevd (OpenBLAS).
import CBLAS

/// Eigenvalues (ascending) and orthonormal eigenvectors of a symmetric matrix.
public struct SymmetricEigen: Sendable {
    /// Eigenvalues in ascending order.
    public var values: [Double]
    /// Eigenvectors as columns: `vectors[i, k]` is component i of the k-th eigenvector.
    public var vectors: Matrix<Double>

    /// Decomposes `a` (n × n, symmetric; only its upper triangle in row-major terms is read).
    /// Returns nil if LAPACK reports a failure (it does not for finite input).
    public init?(_ a: Matrix<Double>) {
        precondition(a.rows == a.cols)
        var n = Int32(a.rows)
        if n == 0 { values = []; vectors = a; return }
        // Row-major symmetric = column-major symmetric; LAPACK returns eigenvectors as columns
        // (column-major), i.e. as rows in row-major terms: transpose at the end.
        var m = a.storage
        var w = [Double](repeating: 0, count: Int(n))
        var jobz = Int8(UInt8(ascii: "V")), uplo = Int8(UInt8(ascii: "L"))
        var lwork: Int32 = -1, liwork: Int32 = -1, info: Int32 = 0
        var workSize = 0.0
        var iworkSize: Int32 = 0
        dsyevd_(&jobz, &uplo, &n, &m, &n, &w, &workSize, &lwork, &iworkSize, &liwork, &info)
        guard info == 0 else { return nil }
        lwork = Int32(workSize)
        liwork = iworkSize
        var work = [Double](repeating: 0, count: Int(lwork))
        var iwork = [Int32](repeating: 0, count: Int(liwork))
        dsyevd_(&jobz, &uplo, &n, &m, &n, &w, &work, &lwork, &iwork, &liwork, &info)
        guard info == 0 else { return nil }
        values = w
        var v = Matrix<Double>(rows: Int(n), cols: Int(n))
        for k in 0..<Int(n) { for i in 0..<Int(n) { v[i, k] = m[k * Int(n) + i] } }
        vectors = v
    }
}

extension Matrix where T == Double {
    /// Mean row.
    public var columnMeans: [Double] {
        var mean = [Double](repeating: 0, count: cols)
        for r in 0..<rows { for c in 0..<cols { mean[c] += self[r, c] } }
        return mean.map { $0 / Double(Swift.max(rows, 1)) }
    }

    /// The rows minus `mean` (their column means unless given).
    public func centred(on mean: [Double]? = nil) -> Matrix<Double> {
        let mean = mean ?? columnMeans
        var centred = self
        for r in 0..<rows { for c in 0..<cols { centred[r, c] -= mean[c] } }
        return centred
    }

    /// Covariance of the rows (divided by N, not N − 1).
    public var covariance: Matrix<Double> {
        let centred = centred()
        var cov = centred.matmul(centred, transposeSelf: true)
        for i in 0..<cov.storage.count { cov.storage[i] /= Double(Swift.max(rows, 1)) }
        return cov
    }
}

/// The principal axes of N centred points in Rⁿ from their N × N Gram matrix C·Cᵀ, for N < n: an N³
/// eigenproblem instead of the n × n covariance's n³. For an eigenpair (λ, u) of C·Cᵀ with λ > 0, Cᵀu/√λ
/// is a unit eigenvector of CᵀC with the same eigenvalue (CᵀC·Cᵀu = Cᵀ(C·Cᵀu) = λ·Cᵀu, ‖Cᵀu‖² = λ).
public struct GramPrincipalAxes: Sendable {
    /// Unit axes (n-vectors) by decreasing eigenvalue, for the eigenvalues above 1e-12 of the largest.
    public var axes: [[Double]]
    /// Their eigenvalues of CᵀC (N times the variances), decreasing.
    public var values: [Double]
    /// The sum of every eigenvalue (the total squared distance from the centroid).
    public var total: Double

    /// Nil when the eigensolver fails.
    public init?(centred: Matrix<Double>) {
        let count = centred.rows, n = centred.cols
        guard let eigen = SymmetricEigen(centred.matmul(centred, transposeOther: true)) else { return nil }
        let largest = eigen.values.last ?? 0
        total = eigen.values.reduce(0) { $0 + Swift.max($1, 0) }
        axes = []
        values = []
        for k in stride(from: count - 1, through: 0, by: -1) where largest > 0 && eigen.values[k] > 1e-12 * largest {
            var v = [Double](repeating: 0, count: n)
            for r in 0..<count { let u = eigen.vectors[r, k]; if u != 0 { for c in 0..<n { v[c] += centred[r, c] * u } } }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard norm > 0 else { continue }
            axes.append(v.map { $0 / norm })
            values.append(eigen.values[k])
        }
    }
}
