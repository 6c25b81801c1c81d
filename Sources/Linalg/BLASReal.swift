// The floating-point types isomine computes in, with their BLAS and libm entry points.
import CBLAS
import Foundation

/// A real scalar with a BLAS GEMM: `Float` for training, `Double` for certification and gradient checks.
///
/// Generic numeric code in isomine is written once against this protocol and specialised by the
/// compiler, so the Float training path pays nothing for the Double checks.
public protocol BLASReal: BinaryFloatingPoint, Sendable, Codable, LosslessStringConvertible {
    /// Row-major `C ← alpha·op(A)·op(B) + beta·C` with `op(A)` of shape m×k and `op(B)` of shape k×n.
    static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Self, a: UnsafePointer<Self>, lda: Int,
        b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    /// Row-major upper triangle of `C ← alpha·A·Aᵀ + beta·C`, A of shape n×k (the lower triangle is not touched).
    static func syrkUpper(n: Int, k: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int, beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    /// Row-major `C ← alpha·A·B + beta·C` with A symmetric m×m (only its upper triangle is read) and
    /// B, C of shape m×n.
    static func symmUpper(m: Int, n: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
                          beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    /// e^x.
    static func exp(_ x: Self) -> Self
    /// log(1 + x), accurate for small x.
    static func log1p(_ x: Self) -> Self

    // Element-wise kernels of the training step (VectorKernels.swift).
    /// `y ← √x` element-wise (`x` and `y` distinct).
    static func sqrt(_ x: UnsafePointer<Self>, into y: UnsafeMutablePointer<Self>, count: Int)
    /// `y ← max(x, 0)`; `x` and `y` may be the same buffer.
    static func relu(_ x: UnsafePointer<Self>, into y: UnsafeMutablePointer<Self>, count: Int)
    /// `g ← g` where `activations > 0`, else 0.
    static func reluBackward(_ g: UnsafeMutablePointer<Self>, activations: UnsafePointer<Self>, count: Int)
    /// Column sums of a row-major `rows × cols` matrix.
    static func columnSums(_ x: UnsafePointer<Self>, rows: Int, cols: Int, into sums: UnsafeMutablePointer<Self>)
    /// One Adam update (torch.optim.Adam with coupled weight decay), in place.
    static func adam(parameters: UnsafeMutablePointer<Self>, gradients: UnsafePointer<Self>, first: UnsafeMutablePointer<Self>,
                     second: UnsafeMutablePointer<Self>, count: Int, beta1: Self, beta2: Self, stepSize: Self,
                     inverseSqrtBias2: Self, epsilon: Self, weightDecay: Self)
    /// One SGD-with-momentum update (torch.optim.SGD, dampening 0), in place.
    static func sgd(parameters: UnsafeMutablePointer<Self>, gradients: UnsafePointer<Self>, momentumBuffer: UnsafeMutablePointer<Self>,
                    count: Int, learningRate: Self, momentum: Self, weightDecay: Self)
}

extension Float: BLASReal {
    @inlinable
    public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
    @inlinable
    public static func syrkUpper(n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(n), Int32(k), alpha, a, Int32(lda), beta, c, Int32(ldc))
    }
    @inlinable
    public static func symmUpper(m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                                 beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_ssymm(CblasRowMajor, CblasLeft, CblasUpper, Int32(m), Int32(n), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
    @inlinable public static func exp(_ x: Float) -> Float { Foundation.exp(x) }
    @inlinable public static func log1p(_ x: Float) -> Float { Foundation.log1p(x) }
}

extension Double: BLASReal {
    @inlinable
    public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Double, a: UnsafePointer<Double>, lda: Int,
        b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
    @inlinable
    public static func syrkUpper(n: Int, k: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int, beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(n), Int32(k), alpha, a, Int32(lda), beta, c, Int32(ldc))
    }
    @inlinable
    public static func symmUpper(m: Int, n: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
                                 beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        cblas_dsymm(CblasRowMajor, CblasLeft, CblasUpper, Int32(m), Int32(n), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
    @inlinable public static func exp(_ x: Double) -> Double { Foundation.exp(x) }
    @inlinable public static func log1p(_ x: Double) -> Double { Foundation.log1p(x) }
}
