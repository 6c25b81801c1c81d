// The one pairwise-distance routine of isomine: Gram trick through GEMM, clamped, exact zero diagonal.
import CKernels

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
    completeSquaredDistances(rows: 0..<n, count: n, into: out, norms: norms)
}

/// Turns rows `rows` of the upper triangle of −2·Gram into squared distances: adds the squared norms,
/// clamps at 0 (rounding can make it slightly negative), writes the exact zero diagonal and mirrors to
/// the lower triangle, so the matrix is exactly symmetric (GEMM rounding may differ between (i,j) and
/// (j,i)). Disjoint row ranges write disjoint entries.
@inlinable
public func completeSquaredDistances<T: BLASReal>(rows: Range<Int>, count n: Int, into out: UnsafeMutablePointer<T>, norms: UnsafePointer<T>) {
    for i in rows {
        let row = out + i * n
        let ni = norms[i]
        row[i] = 0
        for j in (i + 1)..<n {
            let v = row[j] + ni + norms[j]
            row[j] = v > 0 ? v : 0
        }
    }
    mirrorUpperTriangle(rows: rows, count: n, in: out)
}

/// Copies rows `rows` of the upper triangle of the `count × count` matrix `out` to the lower triangle
/// (entries no other disjoint row range writes).
@inlinable
public func mirrorUpperTriangle<T>(rows: Range<Int>, count n: Int, in out: UnsafeMutablePointer<T>) {
    // The mirror in tiles of columns: writing entry (j, i) straight after (i, j) touched a new cache
    // line per entry (a tenth of the f* descents' time at 2,000 points); a tile's rows of `rows` stay
    // in cache while its columns are written row by row.
    let tile = 32
    var j0 = rows.lowerBound + 1
    while j0 < n {
        let j1 = Swift.min(j0 + tile, n)
        for j in j0..<j1 {
            let target = out + j * n
            for i in rows where i < j { target[i] = out[i * n + j] }
        }
        j0 = j1
    }
}

/// norms[i] = Σ_k points[i, k]², summed in order.
func rowSquaredNorms(_ points: UnsafePointer<Double>, count n: Int, dim: Int, into norms: UnsafeMutablePointer<Double>) {
    for i in 0..<n {
        var s = 0.0
        let row = points + i * dim
        for k in 0..<dim { s += row[k] * row[k] }
        norms[i] = s
    }
}

/// `pairwiseSquaredDistances` by fixed blocks of `blockRows` rows on up to `threads` threads: each block
/// takes its rows' products with the rows from its first onwards from its own GEMM (the upper triangle,
/// as SYRK would, with the same flops), then clamps and mirrors them. The blocks do not depend on
/// `threads`, so neither do the values (OpenBLAS should run one thread per call: the callers set it).
public func blockedPairwiseSquaredDistances(
    _ points: UnsafePointer<Double>, count n: Int, dim: Int,
    into out: UnsafeMutablePointer<Double>, norms: UnsafeMutablePointer<Double>, threads: Int, blockRows: Int = 64
) {
    if n == 0 { return }
    rowSquaredNorms(points, count: n, dim: dim, into: norms)
    guard dim > 0 else { out.update(repeating: 0, count: n * n); return }
    let blocks = RowChunks(size: blockRows, count: n)
    parallelChunks(blocks.number, threads: threads) { b in
        let rows = blocks.rows(b), r0 = rows.lowerBound
        Double.gemm(transA: false, transB: true, m: rows.count, n: n - r0, k: dim, alpha: -2, a: points + r0 * dim, lda: dim,
                    b: points + r0 * dim, ldb: dim, beta: 0, c: out + r0 * n + r0, ldc: n)
        // Clamp, and mirror to the lower triangle (entries no other block writes).
        completeSquaredDistances(rows: rows, count: n, into: out, norms: norms)
    }
}

/// Pairwise distances (not squared) like `blockedPairwiseSquaredDistances`, with the products in
/// Float32: the points are rounded to Float32 (into `single`, `count × dim`), each block's products come
/// from SGEMM (into `gram`, `count × count` Float32 scratch), and the squared norms, the sums, the
/// clamp and the square roots are in Double. About twice as fast as the Double products; a squared
/// distance is then off by about 2⁻²⁴·√dim·(‖a‖² + ‖b‖²), which only callers that need distances far
/// coarser than that may accept (the f* descents of large sets, whose candidates are certified on
/// exact distances afterwards). The same fixed blocks: the values do not depend on `threads`.
/// `squared`: write the squared distances instead.
public func mixedPairwiseDistances(
    _ points: UnsafePointer<Double>, count n: Int, dim: Int, single: UnsafeMutablePointer<Float>, gram: UnsafeMutablePointer<Float>,
    into out: UnsafeMutablePointer<Double>, norms: UnsafeMutablePointer<Double>, threads: Int, blockRows: Int = 64,
    squared: Bool = false
) {
    if n == 0 { return }
    rowSquaredNorms(points, count: n, dim: dim, into: norms)
    guard dim > 0 else { out.update(repeating: 0, count: n * n); return }
    for i in 0..<(n * dim) { single[i] = Float(points[i]) }
    let blocks = RowChunks(size: blockRows, count: n)
    parallelChunks(blocks.number, threads: threads) { b in
        let rows = blocks.rows(b), r0 = rows.lowerBound
        Float.gemm(transA: false, transB: true, m: rows.count, n: n - r0, k: dim, alpha: -2, a: single + r0 * dim, lda: dim,
                   b: single + r0 * dim, ldb: dim, beta: 0, c: gram + r0 * n + r0, ldc: n)
        for i in rows {
            out[i * n + i] = 0
            if squared {
                isomine_squared_distances_from_gram_f32(gram + i * n + i + 1, norms + i + 1, norms[i], out + i * n + i + 1, n - i - 1)
            } else {
                isomine_distances_from_gram_f32(gram + i * n + i + 1, norms + i + 1, norms[i], out + i * n + i + 1, n - i - 1)
            }
        }
        mirrorUpperTriangle(rows: rows, count: n, in: out)
    }
}

/// Pairwise squared distances of the rows with the products in Float32 (`mixedPairwiseDistances`,
/// `squared`): a fast estimate, off by about 2⁻²⁴·√dim·(‖a‖² + ‖b‖²), for choices that a later exact
/// computation confirms, never for a certificate. Allocates its Float32 scratch (n² + n·dim).
public func mixedPairwiseSquaredDistances(_ x: Matrix<Double>, threads: Int = 1) -> Matrix<Double> {
    let n = x.rows, dim = x.cols
    var out = Matrix<Double>(rows: n, cols: n)
    guard n > 0 else { return out }
    let single = Buffer<Float>(count: n * dim), gram = Buffer<Float>(count: n * n), norms = Buffer<Double>(count: n)
    x.storage.withUnsafeBufferPointer { p in
        out.storage.withUnsafeMutableBufferPointer { o in
            mixedPairwiseDistances(p.baseAddress!, count: n, dim: dim, single: single.pointer, gram: gram.pointer, into: o.baseAddress!,
                                   norms: norms.pointer, threads: threads, squared: true)
        }
    }
    return out
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
/// candidate f* is decided on distances as exact as Double allows. The C kernel sums each pair in a
/// fixed order, so the values are the same in every build and for any `threads` (rows are split into
/// chunks of the triangle that do not depend on it).
public func exactPairwiseSquaredDistances(_ x: Matrix<Double>, threads: Int = 1) -> Matrix<Double> {
    let n = x.rows, dim = x.cols
    var out = Matrix<Double>(rows: n, cols: n)
    guard n > 0 else { return out }
    let chunks = triangleChunks(n)
    x.storage.withUnsafeBufferPointer { p in
        out.storage.withUnsafeMutableBufferPointer { o in
            let base = p.baseAddress!, target = o.baseAddress!
            parallelChunks(chunks.count, threads: threads) { c in
                isomine_exact_squared_distances_f64(base, n, dim, chunks[c].lowerBound, chunks[c].upperBound, target)
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

/// Each row divided by its Euclidean norm, as torch's `F.normalize` (and so pytorch-metric-learning's
/// `LpDistance()` and `CosineSimilarity()`) does: a zero row stays zero. The norm is taken on the row
/// divided by its largest entry first, so that no square overflows or underflows.
public func rowsNormalized(_ x: Matrix<Double>) -> Matrix<Double> {
    var out = x
    for i in 0..<x.rows {
        var largest = 0.0
        for k in 0..<x.cols { largest = max(largest, abs(x[i, k])) }
        guard largest > 0 else { continue }
        var sum = 0.0
        for k in 0..<x.cols { let s = x[i, k] / largest; sum += s * s }
        let norm = sum.squareRoot()
        for k in 0..<x.cols { out[i, k] = x[i, k] / largest / norm }
    }
    return out
}
