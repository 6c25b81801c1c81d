// The value of a given rank without sorting: quickselect.

/// The value of rank `r` (0-based, ascending) of `values`, which are reordered in place: quickselect
/// with a median-of-three pivot, O(count) expected. `values` must not contain NaN.
public func valueOfRank(_ r: Int, in values: inout [Double]) -> Double {
    var lo = 0, hi = values.count - 1
    while lo < hi {
        let mid = lo + (hi - lo) / 2
        var a = values[lo], b = values[mid], c = values[hi]
        if a > b { swap(&a, &b) }
        if b > c { swap(&b, &c) }
        if a > b { swap(&a, &b) }
        let pivot = b
        var i = lo, j = hi
        while i <= j {
            while values[i] < pivot { i += 1 }
            while values[j] > pivot { j -= 1 }
            if i <= j { values.swapAt(i, j); i += 1; j -= 1 }
        }
        if r <= j { hi = j } else if r >= i { lo = i } else { return values[r] }
    }
    return values[r]
}
