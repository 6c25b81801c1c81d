// NPY arrays in the other layouts numpy writes — Fortran order (np.save of a transposed array, e.g. a
// torch tensor's .T.numpy()) and big-endian dtypes — rewritten as the C-ordered little-endian array
// isomine reads: a shuffle of bytes, each value kept bit for bit.

extension NPYLoader {
    /// The NPY bytes of the same array in C order and little-endian, or nil when `bytes` already is.
    /// Fortran order is undone for 2-D arrays (a 1-D array is the same in both); a big-endian dtype
    /// (`>f4`, `>i8`, …) is byte-swapped to its little-endian twin. Any other dtype is left for the
    /// loader's own refusal. A payload shorter than the shape is refused as truncated.
    public static func canonical(_ bytes: [UInt8], field: String) throws -> [UInt8]? {
        let (descr, shape, fortran, offset) = try parseLayout(bytes, field: field)
        guard descr.hasPrefix(">") || (fortran && shape.count == 2) else { return nil }
        guard let width = Int(descr.dropFirst(2)), [1, 2, 4, 8].contains(width), let kind = descr.dropFirst().first, "fiu".contains(kind) else {
            return nil
        }
        guard let count = checkedProduct(shape), let needed = checkedProduct([count, width]), bytes.count - offset >= needed else {
            throw DatasetError(field: field, "is truncated: \(max(0, bytes.count - offset)) data bytes for shape \(shapeText(shape)) of \(descr)")
        }
        let swap = descr.hasPrefix(">") && width > 1
        let littleDescr = (width == 1 ? "|" : "<") + descr.dropFirst()
        var out = NPYWriter.header(descr: littleDescr, shape: shape)
        let start = out.count
        out += [UInt8](repeating: 0, count: needed)
        // Element k of the C-ordered array is element (k % cols) · rows + k / cols of the Fortran-ordered one.
        let (rows, cols) = shape.count == 2 ? (shape[0], shape[1]) : (count, 1)
        let transpose = fortran && shape.count == 2
        bytes.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                for k in 0..<count {
                    let from = offset + (transpose ? (k % cols) * rows + k / cols : k) * width
                    let to = start + k * width
                    for b in 0..<width { target[to + b] = source[from + (swap ? width - 1 - b : b)] }
                }
            }
        }
        return out
    }
}
