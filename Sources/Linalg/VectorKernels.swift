// Element-wise kernels of the training step, dispatched per precision to the C kernels in CKernels
// (Swift compiled these loops to branchy scalar code that cost more than the GEMMs around them).
import CKernels

extension Float {
    @inlinable public static func sqrt(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) { isomine_sqrt_f32(x, y, count) }
    @inlinable public static func relu(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) { isomine_relu_f32(x, y, count) }
    @inlinable public static func reluBackward(_ g: UnsafeMutablePointer<Float>, activations a: UnsafePointer<Float>, count: Int) { isomine_relu_backward_f32(g, a, count) }
    @inlinable public static func columnSums(_ x: UnsafePointer<Float>, rows: Int, cols: Int, into s: UnsafeMutablePointer<Float>) { isomine_column_sums_f32(x, rows, cols, s) }
    @inlinable public static func adam(parameters p: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>, first m: UnsafeMutablePointer<Float>, second v: UnsafeMutablePointer<Float>, count: Int, beta1: Float, beta2: Float, stepSize: Float, inverseSqrtBias2: Float, epsilon: Float, weightDecay: Float) {
        isomine_adam_f32(p, g, m, v, count, beta1, beta2, stepSize, inverseSqrtBias2, epsilon, weightDecay)
    }
    @inlinable public static func sgd(parameters p: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>, momentumBuffer b: UnsafeMutablePointer<Float>, count: Int, learningRate: Float, momentum: Float, weightDecay: Float) {
        isomine_sgd_f32(p, g, b, count, learningRate, momentum, weightDecay)
    }
}

extension Double {
    @inlinable public static func sqrt(_ x: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>, count: Int) { isomine_sqrt_f64(x, y, count) }
    @inlinable public static func relu(_ x: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>, count: Int) { isomine_relu_f64(x, y, count) }
    @inlinable public static func reluBackward(_ g: UnsafeMutablePointer<Double>, activations a: UnsafePointer<Double>, count: Int) { isomine_relu_backward_f64(g, a, count) }
    @inlinable public static func columnSums(_ x: UnsafePointer<Double>, rows: Int, cols: Int, into s: UnsafeMutablePointer<Double>) { isomine_column_sums_f64(x, rows, cols, s) }
    @inlinable public static func adam(parameters p: UnsafeMutablePointer<Double>, gradients g: UnsafePointer<Double>, first m: UnsafeMutablePointer<Double>, second v: UnsafeMutablePointer<Double>, count: Int, beta1: Double, beta2: Double, stepSize: Double, inverseSqrtBias2: Double, epsilon: Double, weightDecay: Double) {
        isomine_adam_f64(p, g, m, v, count, beta1, beta2, stepSize, inverseSqrtBias2, epsilon, weightDecay)
    }
    @inlinable public static func sgd(parameters p: UnsafeMutablePointer<Double>, gradients g: UnsafePointer<Double>, momentumBuffer b: UnsafeMutablePointer<Double>, count: Int, learningRate: Double, momentum: Double, weightDecay: Double) {
        isomine_sgd_f64(p, g, b, count, learningRate, momentum, weightDecay)
    }
}

/// Σ_k (a_k − b_k)² over `count` coordinates, summed over eight lanes in a fixed order: the same bits
/// in every build, other last bits than a sequential sum (for loops that may take them: the f*
/// descents' large-set path).
@inlinable public func laneSquaredDistance(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, count: Int) -> Double {
    isomine_lanes_squared_distance_f64(a, b, count)
}

/// Σ_k (a_k − b_k)² of Float32 rows in Double (each coordinate widened before the difference), over
/// eight lanes in a fixed order (see `laneSquaredDistance`).
@inlinable public func laneSquaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Double {
    isomine_lanes_squared_distance_f32(a, b, count)
}

/// Σ_k a_k² over `count` coordinates, summed over eight lanes in a fixed order (see `laneSquaredDistance`).
@inlinable public func laneSumOfSquares(_ a: UnsafePointer<Double>, count: Int) -> Double { isomine_lanes_sum_squares_f64(a, count) }

/// The smallest `row[j]` over the columns whose label differs from `label`, and the first column that
/// attains it; nil when every column has `label`. Vectorised (a minimum is exact: the same result as a
/// sequential scan with strict comparisons).
@inlinable public func nearestOtherClass(_ row: UnsafePointer<Double>, labels: UnsafePointer<Int>, label: Int, count: Int) -> (index: Int, value: Double)? {
    var index = -1
    let value = isomine_nearest_other_class(row, labels, label, count, &index)
    return index >= 0 ? (index, value) : nil
}

/// Writes to `out` the columns whose label differs from `label` with `row[j] ≤ bound`, in column order,
/// and returns how many (`out` has room for `count`).
@inlinable public func otherClassColumns(_ row: UnsafePointer<Double>, labels: UnsafePointer<Int>, label: Int, count: Int, within bound: Double,
                                         into out: UnsafeMutablePointer<Int>) -> Int {
    isomine_other_class_within(row, labels, label, count, bound, out)
}
