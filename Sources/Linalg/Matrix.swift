// A dense row-major matrix, the value type for datasets, embeddings and evaluation.

/// A dense row-major matrix of `T` with `rows × cols` elements.
public struct Matrix<T: BLASReal>: Sendable, Equatable {
    public let rows: Int
    public let cols: Int
    /// Row-major elements, `storage[r * cols + c]`.
    public var storage: [T]

    /// A zero matrix.
    @inlinable
    public init(rows: Int, cols: Int) {
        precondition(rows >= 0 && cols >= 0)
        self.rows = rows
        self.cols = cols
        self.storage = [T](repeating: 0, count: rows * cols)
    }

    /// A matrix over existing row-major storage (`storage.count == rows * cols`).
    @inlinable
    public init(rows: Int, cols: Int, storage: [T]) {
        precondition(storage.count == rows * cols, "storage has \(storage.count) elements, want \(rows * cols)")
        self.rows = rows
        self.cols = cols
        self.storage = storage
    }

    /// A matrix from nested rows (all of the same length).
    public init(_ nested: [[T]]) {
        let cols = nested.first?.count ?? 0
        precondition(nested.allSatisfy { $0.count == cols }, "ragged rows")
        self.init(rows: nested.count, cols: cols, storage: nested.flatMap { $0 })
    }

    @inlinable
    public subscript(r: Int, c: Int) -> T {
        get { storage[r * cols + c] }
        set { storage[r * cols + c] = newValue }
    }

    /// Row `r` as an array.
    public func row(_ r: Int) -> [T] { Array(storage[(r * cols)..<((r + 1) * cols)]) }

    /// The rows at `indices`, in that order.
    @inlinable
    public func rows(_ indices: [Int]) -> Matrix<T> {
        var out = [T]()
        out.reserveCapacity(indices.count * cols)
        for i in indices { out.append(contentsOf: storage[(i * cols)..<((i + 1) * cols)]) }
        return Matrix(rows: indices.count, cols: cols, storage: out)
    }

    /// The same values converted to another precision.
    public func converted<U: BLASReal>(to: U.Type = U.self) -> Matrix<U> {
        Matrix<U>(rows: rows, cols: cols, storage: storage.map { U($0) })
    }

    /// `self · other` through BLAS GEMM.
    @inlinable
    public func matmul(_ other: Matrix<T>, transposeSelf: Bool = false, transposeOther: Bool = false) -> Matrix<T> {
        let m = transposeSelf ? cols : rows
        let k = transposeSelf ? rows : cols
        let k2 = transposeOther ? other.cols : other.rows
        let n = transposeOther ? other.rows : other.cols
        precondition(k == k2, "inner dimensions \(k) and \(k2) differ")
        var out = Matrix<T>(rows: m, cols: n)
        if m == 0 || n == 0 { return out }
        if k == 0 { return out }
        storage.withUnsafeBufferPointer { a in
            other.storage.withUnsafeBufferPointer { b in
                out.storage.withUnsafeMutableBufferPointer { c in
                    T.gemm(transA: transposeSelf, transB: transposeOther, m: m, n: n, k: k,
                           alpha: 1, a: a.baseAddress!, lda: cols, b: b.baseAddress!, ldb: other.cols,
                           beta: 0, c: c.baseAddress!, ldc: n)
                }
            }
        }
        return out
    }
}
