// An in-place heapsort of index arrays: the miners' per-anchor orderings, without allocation.

/// Sorts `o` in place by `less` (a strict weak order); O(m log m), no allocation, not stable (give
/// `less` a tie-break on the index where the order of equals matters).
///
/// Why not `sort(by:)`: the standard library's sort may allocate a merge buffer, and these sorts run
/// per anchor in a training step, where nothing allocates.
@inline(__always)
func heapSort(_ o: UnsafeMutableBufferPointer<Int32>, by less: (Int32, Int32) -> Bool) {
    let m = o.count
    guard m > 1 else { return }
    @inline(__always) func sift(_ start: Int, _ end: Int) {
        var root = start
        while 2 * root + 1 < end {
            var child = 2 * root + 1
            if child + 1 < end && less(o[child], o[child + 1]) { child += 1 }
            guard less(o[root], o[child]) else { return }
            o.swapAt(root, child)
            root = child
        }
    }
    for start in stride(from: m / 2 - 1, through: 0, by: -1) { sift(start, m) }
    for end in stride(from: m - 1, to: 0, by: -1) {
        o.swapAt(0, end)
        sift(0, end)
    }
}
