// The one pairwise-distance routine of isomine: Gram trick through GEMM, clamped, exact zero diagonal.

/// Pairwise squared Euclidean distances between the `count` rows of `points` (row-major, `dim` columns).
///
/// Uses `‖a‖² + ‖b‖² − 2a·b` with the Gram matrix from GEMM, clamps at 0 (rounding can make it
/// slightly negative) and writes exact zeros on the diagonal. `out` holds `count × count` values and
/// `norms` `count` scratch values; nothing is allocated, so the training step can call it.
@inlinable
public func pairwiseSquaredDistances<T: BLASReal>(
    _ points: UnsafePointer<T>, count n: Int, dim: Int,
    into out: UnsafeMutablePointer<T>, norms: UnsafeMutablePointer<T>
) {
    if n == 0 { return }
    for i in 0..<n {
        var s: T = 0
        let row = points + i * dim
        for k in 0..<dim { s += row[k] * row[k] }
        norms[i] = s
    }
    if dim > 0 {
        // Only the upper triangle of the Gram matrix is read below: SYRK computes just that.
        T.syrkUpper(n: n, k: dim, alpha: -2, a: points, lda: dim, beta: 0, c: out, ldc: n)
    } else {
        out.update(repeating: 0, count: n * n)
    }
    // One pass over the upper triangle: clamp, and mirror so the matrix is exactly symmetric
    // (GEMM rounding may differ between (i,j) and (j,i)).
    for i in 0..<n {
        let row = out + i * n
        let ni = norms[i]
        row[i] = 0
        for j in (i + 1)..<n {
            let v = row[j] + ni + norms[j]
            let clamped = v > 0 ? v : 0
            row[j] = clamped
            out[j * n + i] = clamped
        }
    }
}

extension Matrix {
    /// Pairwise squared Euclidean distances between the rows (see `pairwiseSquaredDistances`).
    @inlinable
    public func pairwiseSquaredDistances() -> Matrix<T> {
        var out = Matrix<T>(rows: rows, cols: rows)
        var norms = [T](repeating: 0, count: rows)
        storage.withUnsafeBufferPointer { p in
            out.storage.withUnsafeMutableBufferPointer { o in
                norms.withUnsafeMutableBufferPointer { nb in
                    guard let base = p.baseAddress ?? (cols == 0 ? UnsafePointer(o.baseAddress) : nil) else { return }
                    Linalg.pairwiseSquaredDistances(base, count: rows, dim: cols, into: o.baseAddress!, norms: nb.baseAddress!)
                }
            }
        }
        return out
    }

    /// Pairwise Euclidean distances between the rows.
    @inlinable
    public func pairwiseDistances() -> Matrix<T> {
        var d = pairwiseSquaredDistances()
        for i in 0..<d.storage.count { d.storage[i] = d.storage[i].squareRoot() }
        return d
    }
}

/// Pairwise squared distances by direct differences, `Σ_k (a_k − b_k)²`, in Double.
///
/// The certification variant of `pairwiseSquaredDistances`: slower (no GEMM) but free of the Gram
/// trick's cancellation, so identical points are exactly 0 apart and the separation check of a
/// candidate f* is decided on distances as exact as Double allows.
public func exactPairwiseSquaredDistances(_ x: Matrix<Double>) -> Matrix<Double> {
    let n = x.rows, dim = x.cols
    var out = Matrix<Double>(rows: n, cols: n)
    x.storage.withUnsafeBufferPointer { p in
        out.storage.withUnsafeMutableBufferPointer { o in
            for i in 0..<n {
                let a = p.baseAddress! + i * dim
                for j in (i + 1)..<n {
                    let b = p.baseAddress! + j * dim
                    // Four independent sums (SIMD lanes), then their total: as exact as one running sum.
                    var acc = SIMD4<Double>()
                    var k = 0
                    while k + 4 <= dim {
                        let d = SIMD4(a[k] - b[k], a[k + 1] - b[k + 1], a[k + 2] - b[k + 2], a[k + 3] - b[k + 3])
                        acc += d * d
                        k += 4
                    }
                    var s = acc.sum()
                    while k < dim { let d = a[k] - b[k]; s += d * d; k += 1 }
                    o[i * n + j] = s
                    o[j * n + i] = s
                }
            }
        }
    }
    return out
}

/// Mean over pairs i < j of √d2[i, j] (negative rounding residue read as 0); 0 for fewer than two rows.
public func meanPairwiseDistance(squaredDistances d2: Matrix<Double>) -> Double {
    let n = d2.rows
    var sum = 0.0
    for i in 0..<n { for j in (i + 1)..<n { sum += max(d2[i, j], 0).squareRoot() } }
    return sum / Double(max(n * (n - 1) / 2, 1))
}

/// Mean over rows of the Euclidean norm (0 for no rows).
public func meanRowNorm(_ x: Matrix<Double>) -> Double {
    var sum = 0.0
    for i in 0..<x.rows {
        var s = 0.0
        for j in 0..<x.cols { s += x[i, j] * x[i, j] }
        sum += s.squareRoot()
    }
    return sum / Double(max(x.rows, 1))
}
