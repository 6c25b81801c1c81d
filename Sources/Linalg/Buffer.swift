// An owned, fixed-size scratch buffer for hot loops: allocated once, freed in deinit.

/// A heap buffer of `count` elements of `T`, zero-initialised, freed when the owner goes away.
///
/// Hot paths (a training step) work through `pointer` so they never allocate, copy on write or
/// check bounds; everything else should prefer `Matrix` or arrays.
public final class Buffer<T: BLASReal> {
    public let count: Int
    public let pointer: UnsafeMutablePointer<T>

    public init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        // Zero bytes are 0 in every BLASReal; a byte fill, because a generic initialize(repeating:)
        // copies element by element through the type's witness table (seconds for a few N² buffers).
        UnsafeMutableRawPointer(pointer).initializeMemory(as: UInt8.self, repeating: 0, count: max(count, 1) * MemoryLayout<T>.stride)
    }

    deinit { pointer.deallocate() }

    @inlinable public subscript(i: Int) -> T {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }

    /// Sets every element to zero (a byte fill, as in `init`).
    public func zero() { UnsafeMutableRawPointer(pointer).initializeMemory(as: UInt8.self, repeating: 0, count: count * MemoryLayout<T>.stride) }

    /// The contents as an array (a copy).
    public var array: [T] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    /// Overwrites the contents from `values` (`values.count == count`).
    public func load(_ values: [T]) {
        precondition(values.count == count, "loading \(values.count) values into a buffer of \(count)")
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: count) }
    }
}
