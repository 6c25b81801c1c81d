// How input values become the Float32 matrix every job computes on, without losing them on the way:
// no overflow, no underflow to zero, no spread rounded away by a large offset.
import Foundation

/// The statistics of an input's values, gathered in one pass before any conversion.
struct InputStatistics {
    let columns: Int
    private(set) var largest = 0.0
    private(set) var low: [Double]
    private(set) var high: [Double]
    private(set) var rows = 0
    /// (row, column, value) of the first non-finite value.
    private(set) var nonFinite: (row: Int, column: Int, value: Double)?

    init(columns: Int) {
        self.columns = columns
        low = [Double](repeating: .infinity, count: columns)
        high = [Double](repeating: -.infinity, count: columns)
    }

    /// Adds consecutive values (row-major, continuing where the last call stopped).
    mutating func add(_ values: UnsafeBufferPointer<Double>, startingAt index: Int) {
        for (t, v) in values.enumerated() {
            let c = (index + t) % columns
            guard v.isFinite else {
                if nonFinite == nil { nonFinite = ((index + t) / columns, c, v) }
                continue
            }
            largest = max(largest, abs(v))
            low[c] = min(low[c], v)
            high[c] = max(high[c], v)
        }
        rows = (index + values.count) / columns
    }

    /// The widest column range.
    var spread: Double { zip(low, high).reduce(0) { max($0, $1.1 - $1.0) } }
}

/// The affine map (x − offset)/unit applied before rounding to Float32, `unit` a power of two (exact).
public struct Float32Conversion: Sendable, Equatable {
    /// Per-column offset subtracted first: the midpoint of the column's range (nil: none).
    public var offset: [Double]?
    /// Power of two the values are divided by (1: none).
    public var unit: Double

    public static let identity = Float32Conversion(offset: nil, unit: 1)

    init(offset: [Double]?, unit: Double) {
        self.offset = offset
        self.unit = unit
    }

    /// Values within [2⁻⁴⁰, 2⁴⁰] in magnitude are kept as they are: their Float32 products (the distance
    /// GEMMs square them) stay far from overflow and from subnormals.
    static let comfortable = 0x1p-40...0x1p40

    /// The conversion for values with these statistics. A spread under 2⁻¹⁶ of the values' magnitude
    /// (a tight cloud far from the origin) would keep fewer than 8 significant bits of every difference in
    /// Float32, so the columns are centred first (distances do not change); values outside `comfortable`
    /// are scaled by a power of two to magnitude about 1 (every result in length units is stated back in
    /// the input's units).
    init(_ s: InputStatistics, centre: Bool) {
        var magnitude = s.largest
        var shift: [Double]?
        if centre && s.rows > 0 && s.spread > 0 && s.spread < 0x1p-16 * s.largest {
            // The midpoint of each column's range (cannot overflow, unlike a sum of huge values).
            let mean = (0..<s.columns).map { s.low[$0].isFinite ? s.low[$0] / 2 + s.high[$0] / 2 : 0 }
            shift = mean
            magnitude = 0
            for c in 0..<s.columns { magnitude = max(magnitude, abs(s.low[c] - mean[c]), abs(s.high[c] - mean[c])) }
        }
        offset = shift
        if magnitude > 0 && !Float32Conversion.comfortable.contains(magnitude) {
            unit = Double(sign: .plus, exponent: magnitude.exponent + 1, significand: 1)
        } else {
            unit = 1
        }
    }

    /// The value of column `c` as computed on.
    @inline(__always) func apply(_ v: Double, column c: Int) -> Float {
        Float(((offset.map { v - $0[c] }) ?? v) / unit)
    }
}
