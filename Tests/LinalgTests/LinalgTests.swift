// Linalg: the seeded RNG, GEMM wrappers, the pairwise-distance routine and the C kernels.
import Testing
@testable import Linalg

@Suite struct SeededRNGTests {
    @Test func sameSeedSameStream() {
        var a = SeededRNG(seed: 42), b = SeededRNG(seed: 42), c = SeededRNG(seed: 43)
        let xa = (0..<100).map { _ in a.next() }
        #expect(xa == (0..<100).map { _ in b.next() })
        #expect(xa != (0..<100).map { _ in c.next() })
        #expect(SeededRNG(seed: 1, stream: 1).state != SeededRNG(seed: 1, stream: 2).state)
    }

    @Test func stateRestoresTheStream() {
        var a = SeededRNG(seed: 7)
        for _ in 0..<13 { _ = a.next() }
        var b = SeededRNG(state: a.state)!
        #expect((0..<50).map { _ in a.next() } == (0..<50).map { _ in b.next() })
        #expect(SeededRNG(state: [0, 0, 0, 0]) == nil)
        #expect(SeededRNG(state: [1, 2]) == nil)
    }

    @Test func derivedDrawsStayInRange() {
        var r = SeededRNG(seed: 3)
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<70_000 {
            let u = r.uniform()
            #expect(u >= 0 && u < 1)
            counts[r.int(below: 7)] += 1
        }
        #expect(counts.allSatisfy { abs($0 - 10_000) < 500 })
        let normals = (0..<20_000).map { _ in r.normal() }
        let mean = normals.reduce(0, +) / 20_000
        let variance = normals.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 20_000
        #expect(abs(mean) < 0.03 && abs(variance - 1) < 0.05)
        var a = Array(0..<50)
        r.shuffle(&a)
        #expect(a.sorted() == Array(0..<50) && a != Array(0..<50))
    }
}

@Suite struct MatrixTests {
    @Test func matmulMatchesNaive() {
        var r = SeededRNG(seed: 1)
        let a = Matrix<Double>(rows: 5, cols: 3, storage: (0..<15).map { _ in r.normal() })
        let b = Matrix<Double>(rows: 3, cols: 4, storage: (0..<12).map { _ in r.normal() })
        let c = a.matmul(b)
        for i in 0..<5 { for j in 0..<4 {
            let naive = (0..<3).reduce(0.0) { $0 + a[i, $1] * b[$1, j] }
            #expect(abs(c[i, j] - naive) < 1e-12)
        } }
        let at = a.matmul(a, transposeSelf: true)
        #expect(at.rows == 3 && at.cols == 3)
        #expect(abs(at[0, 1] - (0..<5).reduce(0.0) { $0 + a[$1, 0] * a[$1, 1] }) < 1e-12)
    }

    @Test func pairwiseDistancesMatchDirectDifferences() {
        var r = SeededRNG(seed: 2)
        let x = Matrix<Double>(rows: 9, cols: 4, storage: (0..<36).map { _ in r.normal() * 3 })
        let d = x.pairwiseDistances()
        for i in 0..<9 {
            #expect(d[i, i] == 0)
            for j in 0..<9 {
                let direct = (0..<4).reduce(0.0) { $0 + (x[i, $1] - x[j, $1]) * (x[i, $1] - x[j, $1]) }.squareRoot()
                #expect(abs(d[i, j] - direct) < 1e-9)
                #expect(d[i, j] == d[j, i])
            }
        }
        // Duplicated points: distance exactly 0 off the diagonal too (clamped, never NaN).
        let dup = Matrix<Float>([[1, 2, 3], [1, 2, 3], [0, 0, 0]])
        let dd = dup.pairwiseDistances()
        #expect(dd.storage.allSatisfy { $0.isFinite && $0 >= 0 })
        #expect(dd[0, 1] < 1e-3)
    }
}

@Suite struct KernelTests {
    @Test func adamAndSGDMatchTheirFormulas() {
        let n = 19  // not a multiple of the vector width: exercises the tails
        var r = SeededRNG(seed: 5)
        let p0 = (0..<n).map { _ in r.normal() }, g = (0..<n).map { _ in r.normal() }
        var p = p0, m = [Double](repeating: 0.1, count: n), v = [Double](repeating: 0.2, count: n)
        Double.adam(parameters: &p, gradients: g, first: &m, second: &v, count: n, beta1: 0.9, beta2: 0.999,
                    stepSize: 0.01, inverseSqrtBias2: 2, epsilon: 1e-8, weightDecay: 0.1)
        for i in 0..<n {
            let gi = g[i] + 0.1 * p0[i]
            let mi = 0.9 * 0.1 + 0.1 * gi, vi = 0.999 * 0.2 + 0.001 * gi * gi
            #expect(abs(m[i] - mi) < 1e-15 && abs(v[i] - vi) < 1e-15)
            #expect(abs(p[i] - (p0[i] - 0.01 * mi / (vi.squareRoot() * 2 + 1e-8))) < 1e-14)
        }
        var q = p0, b = [Double](repeating: 0.5, count: n)
        Double.sgd(parameters: &q, gradients: g, momentumBuffer: &b, count: n, learningRate: 0.1, momentum: 0.9, weightDecay: 0)
        for i in 0..<n {
            #expect(abs(b[i] - (0.45 + g[i])) < 1e-15)
            #expect(abs(q[i] - (p0[i] - 0.1 * (0.45 + g[i]))) < 1e-15)
        }
    }

    @Test func reluAndColumnSums() {
        var x: [Float] = [-2, -0.0, 0, 1.5, -1, 3, 2, -7, 9, -1, 0.5]
        Float.relu(x, into: &x, count: x.count)
        #expect(x == [0, 0, 0, 1.5, 0, 3, 2, 0, 9, 0, 0.5])
        var g: [Float] = Array(repeating: 1, count: x.count)
        Float.reluBackward(&g, activations: x, count: x.count)
        #expect(g == x.map { $0 > 0 ? 1 : 0 })
        var sums = [Float](repeating: 9, count: 3)
        Float.columnSums([1, 2, 3, 4, 5, 6], rows: 2, cols: 3, into: &sums)
        #expect(sums == [5, 7, 9])
    }
}

@Suite struct ExactDistanceTests {
    /// Σ (a − b)² pair by pair in the plainest loop: the reference the kernel must agree with.
    static func naive(_ x: Matrix<Double>) -> [Double] {
        var out = [Double](repeating: 0, count: x.rows * x.rows)
        for i in 0..<x.rows { for j in 0..<x.rows { var s = 0.0; for k in 0..<x.cols { let d = x[i, k] - x[j, k]; s += d * d }; out[i * x.rows + j] = s } }
        return out
    }

    @Test(arguments: [(1, 3), (2, 1), (7, 8), (37, 13), (301, 37), (130, 512)])
    func agreesWithTheDefinitionForAnyThreadCount(rows: Int, dim: Int) {
        var rng = SeededRNG(seed: UInt64(rows * 1000 + dim))
        var x = Matrix<Double>(rows: rows, cols: dim)
        for i in 0..<x.storage.count { x.storage[i] = rng.normal() * 3 }
        if rows > 3 { for k in 0..<dim { x[3, k] = x[1, k] } }  // a duplicate: exactly 0 apart
        let one = exactPairwiseSquaredDistances(x)
        let reference = ExactDistanceTests.naive(x)
        for i in 0..<rows {
            #expect(one[i, i] == 0)
            for j in 0..<rows {
                #expect(one[i, j] == one[j, i])
                #expect(abs(one[i, j] - reference[i * rows + j]) <= 1e-13 * max(reference[i * rows + j], 1))
            }
        }
        if rows > 3 { #expect(one[1, 3] == 0) }
        // The same bits whatever the thread count (the rows' chunks do not depend on it).
        for threads in [2, 3, 8] { #expect(exactPairwiseSquaredDistances(x, threads: threads).storage == one.storage) }
    }

    @Test func triangleChunksCoverTheRowsInOrder() {
        for n in [0, 1, 2, 5, 100, 2000, 60_000] {
            let chunks = triangleChunks(n)
            #expect(chunks.first?.lowerBound == 0 && chunks.last?.upperBound == n)
            #expect(zip(chunks, chunks.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
            #expect(chunks.count <= 64)
        }
        // Chunks are balanced by pairs, so the first rows (most pairs each) get the shortest chunks.
        let c = triangleChunks(2000)
        #expect(c.count > 8 && c.first!.count < c.last!.count)
    }

    @Test func parallelChunksRunEachChunkOnce() {
        for threads in [1, 2, 5] {
            var hits = [Int](repeating: 0, count: 40)
            hits.withUnsafeMutableBufferPointer { h in
                let p = h.baseAddress!
                parallelChunks(40, threads: threads) { c in p[c] += 1 }
            }
            #expect(hits == [Int](repeating: 1, count: 40))
        }
    }
}

/// The f* descents' large-set arithmetic and the selection the collapse metrics use.
@Suite struct LargeSetKernelTests {
    @Test(arguments: [(5, 3), (70, 17), (300, 512)])
    func mixedDistancesAreWithinTheFloat32BoundForAnyThreadCount(rows: Int, dim: Int) {
        var rng = SeededRNG(seed: UInt64(rows + dim))
        var x = Matrix<Double>(rows: rows, cols: dim)
        for i in 0..<x.storage.count { x.storage[i] = rng.normal() / Double(dim).squareRoot() }
        let exact = exactPairwiseSquaredDistances(x)
        let single = UnsafeMutablePointer<Float>.allocate(capacity: rows * dim), gram = UnsafeMutablePointer<Float>.allocate(capacity: rows * rows)
        let norms = UnsafeMutablePointer<Double>.allocate(capacity: rows)
        defer { single.deallocate(); gram.deallocate(); norms.deallocate() }
        var runs: [[Double]] = []
        for threads in [1, 2, 3] {
            var out = [Double](repeating: -1, count: rows * rows)
            x.storage.withUnsafeBufferPointer { p in
                out.withUnsafeMutableBufferPointer { o in
                    mixedPairwiseDistances(p.baseAddress!, count: rows, dim: dim, single: single, gram: gram, into: o.baseAddress!, norms: norms,
                                           threads: threads, blockRows: 16)
                }
            }
            runs.append(out)
        }
        #expect(runs[1] == runs[0] && runs[2] == runs[0])
        let d = runs[0]
        for i in 0..<rows {
            #expect(d[i * rows + i] == 0)
            for j in 0..<rows where j != i {
                #expect(d[i * rows + j] == d[j * rows + i])
                // ‖a‖², ‖b‖² are about 1: a squared distance within a few 2⁻²⁴·√dim of the exact one.
                let bound = 8 * 0x1p-24 * Double(dim).squareRoot() * (1 + exact[i, i] + exact[j, j])
                #expect(abs(d[i * rows + j] * d[i * rows + j] - exact[i, j]) <= bound, "(\(i), \(j))")
            }
        }
    }

    @Test func penaltyScansAgreeWithScalarScans() {
        // Rows with many ties (values from a few levels) and few classes, at lengths around the vector
        // width; the nearest other-class column is the first one attaining the minimum, as a scalar scan
        // with strict comparisons finds it, and the columns within a bound come in column order.
        var rng = SeededRNG(seed: 21)
        for count in [0, 1, 3, 4, 5, 8, 17, 64, 2001] {
            for classes in [1, 2, 5] {
                let row = (0..<count).map { _ in Double(Int(rng.uniform() * 6)) * 0.25 }
                let labels = (0..<count).map { _ in Int(rng.uniform() * Double(classes)) }
                let label = classes == 1 ? 0 : 1
                var expected: (index: Int, value: Double)?
                for j in 0..<count where labels[j] != label && row[j] < (expected?.value ?? .infinity) { expected = (j, row[j]) }
                let found = row.withUnsafeBufferPointer { r in labels.withUnsafeBufferPointer { l in
                    nearestOtherClass(r.baseAddress ?? UnsafePointer(bitPattern: 8)!, labels: l.baseAddress ?? UnsafePointer(bitPattern: 8)!, label: label, count: count) } }
                #expect(found?.index == expected?.index && found?.value == expected?.value, "\(count) columns, \(classes) classes")
                for bound in [-1.0, 0.25, 0.6, 2] {
                    let within = (0..<count).filter { labels[$0] != label && row[$0] <= bound }
                    var out = [Int](repeating: -1, count: max(count, 1))
                    let k = row.withUnsafeBufferPointer { r in labels.withUnsafeBufferPointer { l in out.withUnsafeMutableBufferPointer { o in
                        otherClassColumns(r.baseAddress ?? UnsafePointer(bitPattern: 8)!, labels: l.baseAddress ?? UnsafePointer(bitPattern: 8)!, label: label,
                                          count: count, within: bound, into: o.baseAddress!) } } }
                    #expect(Array(out.prefix(k)) == within, "\(count) columns, \(classes) classes, bound \(bound)")
                }
            }
        }
    }

    @Test func laneSumsAgreeWithSequentialOnes() {
        var rng = SeededRNG(seed: 9)
        for dim in [1, 7, 8, 9, 64, 513] {
            let a = (0..<dim).map { _ in rng.normal() }, b = (0..<dim).map { _ in rng.normal() }
            let sequential = zip(a, b).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            let squares = a.reduce(0.0) { $0 + $1 * $1 }
            let lanes = a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in laneSquaredDistance(pa.baseAddress!, pb.baseAddress!, count: dim) } }
            let laneSquares = a.withUnsafeBufferPointer { laneSumOfSquares($0.baseAddress!, count: dim) }
            #expect(abs(lanes - sequential) <= 1e-13 * sequential && abs(laneSquares - squares) <= 1e-13 * squares, "dim \(dim)")
        }
    }

    @Test func floatRowLaneSumsAgreeWithSequentialDoubleOnes() {
        // The exact re-ranking of ExactNeighbours: Float32 rows, each coordinate widened to Double.
        var rng = SeededRNG(seed: 10)
        for dim in [1, 7, 8, 9, 64, 513] {
            let a = (0..<dim).map { _ in Float(rng.normal()) }, b = (0..<dim).map { _ in Float(rng.normal()) }
            let sequential = zip(a, b).reduce(0.0) { $0 + (Double($1.0) - Double($1.1)) * (Double($1.0) - Double($1.1)) }
            let lanes = a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in laneSquaredDistance(pa.baseAddress!, pb.baseAddress!, count: dim) } }
            #expect(abs(lanes - sequential) <= 1e-13 * sequential, "dim \(dim)")
            #expect(a.withUnsafeBufferPointer { laneSquaredDistance($0.baseAddress!, $0.baseAddress!, count: dim) } == 0)
        }
    }

    @Test func mixedSquaredDistancesAreTheMixedDistancesSquared() {
        var rng = SeededRNG(seed: 12)
        var x = Matrix<Double>(rows: 90, cols: 40)
        for i in 0..<x.storage.count { x.storage[i] = rng.normal() }
        let squared = mixedPairwiseSquaredDistances(x, threads: 2)
        let exact = exactPairwiseSquaredDistances(x)
        for i in 0..<90 {
            #expect(squared[i, i] == 0)
            for j in 0..<90 where j != i {
                #expect(squared[i, j] == squared[j, i])
                #expect(abs(squared[i, j] - exact[i, j]) <= 8 * 0x1p-24 * 40.0.squareRoot() * (1 + exact[i, i] + exact[j, j] + 2 * 40))
            }
        }
    }

    @Test func valueOfRankIsTheSortedValue() {
        var rng = SeededRNG(seed: 4)
        for count in [1, 2, 3, 10, 101, 1000] {
            // With ties: values on a coarse grid.
            let values = (0..<count).map { _ in (rng.normal() * 4).rounded() }
            let sorted = values.sorted()
            for r in Set([0, count / 2, count - 1]) {
                var copy = values
                #expect(valueOfRank(r, in: &copy) == sorted[r])
                // Everything before position r is no larger (the collapse metrics read the lower median there).
                #expect(copy[..<r].allSatisfy { $0 <= sorted[r] })
            }
        }
    }
}
