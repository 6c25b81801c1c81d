// Exact k nearest neighbours by Float32 GEMM blocks: the same neighbours (ties by index) and the same
// PML metrics as a brute-force ranking on Double distances, on sets built to stress the screen —
// well-separated and overlapping classes, exact duplicates, integer grids full of ties, a collapsed
// cloud far from the origin — with small blocks so rows cross block boundaries.
import CKernels
import Retrieval
import Testing
import Linalg
@testable import Trainer

/// Each row's k nearest other rows by Double distance of the Float values, ties by index.
func bruteForceNeighbours(_ x: Matrix<Float>, k: Int) -> [Int32] {
    let n = x.rows, d = x.cols
    var out: [Int32] = []
    for i in 0..<n {
        var all: [(Double, Int)] = []
        for j in 0..<n where j != i {
            var s = 0.0
            for c in 0..<d { let t = Double(x[i, c]) - Double(x[j, c]); s += t * t }
            all.append((s, j))
        }
        all.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        out += all.prefix(k).map { Int32($0.1) }
    }
    return out
}

func generated(_ kind: String, n: Int, dim: Int, classes: Int, seed: UInt64) -> (Matrix<Float>, [Int]) {
    var rng = SeededRNG(seed: seed, stream: 7)
    var x = Matrix<Float>(rows: n, cols: dim)
    let labels = (0..<n).map { $0 % classes }
    let centres = (0..<classes).map { _ in (0..<dim).map { _ in rng.normal() * 3 } }
    for i in 0..<n {
        for c in 0..<dim {
            switch kind {
            case "grid": x[i, c] = Float(Int(rng.uniform() * 3))            // coordinates in {0, 1, 2}: many exact ties
            case "collapsed": x[i, c] = Float(100 + 1e-3 * rng.normal())  // a tiny cloud far from the origin
            case "tiny": x[i, c] = Float(1e-17 * rng.normal())  // squared norms ~1e-34: Float32 screen arithmetic could underflow
            case "duplicates": x[i, c] = Float(centres[labels[i]][c] + (i % 4 == 0 ? 0 : 0.5 * rng.normal()))
            default: x[i, c] = Float(centres[labels[i]][c] + 2.5 * rng.normal())
            }
        }
    }
    if kind == "duplicates" { for i in stride(from: 1, to: n, by: 7) { for c in 0..<dim { x[i, c] = x[i - 1, c] } } }
    return (x, labels)
}

@Suite struct ExactNeighboursTests {
    @Test(arguments: ["overlapping", "duplicates", "grid", "collapsed", "tiny"])
    func sameNeighboursAndMetricsAsBruteForce(kind: String) {
        for (n, dim, classes, block) in [(240, 8, 12, 37), (301, 64, 30, 64), (97, 3, 5, 16)] {
            let (x, labels) = generated(kind, n: n, dim: dim, classes: classes, seed: UInt64(n))
            let k = RetrievalMetrics.neighbourCount(labels: labels)
            let nn = ExactNeighbours(x, k: k, meanDistance: true, blockRows: block, strategy: .pairs)
            let expected = bruteForceNeighbours(x, k: k)
            #expect(nn.neighbours == expected, "\(kind) n=\(n) d=\(dim)")
            let byRows = ExactNeighbours(x, k: k, meanDistance: true, blockRows: block, strategy: .rows)
            #expect(byRows.neighbours == expected, "\(kind) n=\(n) d=\(dim), by rows")
            let brute = RetrievalMetrics(distances: x.converted(to: Double.self).pairwiseDistances(), labels: labels)
            let fast = RetrievalMetrics(neighbours: nn, labels: labels)
            if kind != "grid" && kind != "duplicates" {
                // Without exact ties the Gram-based brute force ranks the same way.
                #expect(abs(fast.precisionAt1 - brute.precisionAt1) < 1e-12 && abs(fast.mapAtR - brute.mapAtR) < 1e-12 && abs(fast.rPrecision - brute.rPrecision) < 1e-12)
            }
            // The screen's mean distance is within the bound of the exact one.
            var exact = 0.0
            let d = x.converted(to: Double.self)
            for i in 0..<n { for j in (i + 1)..<n { var s = 0.0; for c in 0..<dim { let t = d[i, c] - d[j, c]; s += t * t }; exact += s.squareRoot() } }
            exact /= Double(n * (n - 1) / 2)
            for screen in [nn, byRows] {
                #expect(abs(screen.meanPairwiseDistance! - exact) <= 1e-4 * max(exact, 1e-3), "\(kind): \(screen.meanPairwiseDistance!) vs \(exact)")
            }
        }
    }

    @Test(arguments: ["overlapping", "duplicates", "collapsed", "tiny"])
    func longRowsAreScreenedInSpansWithTheSameResult(kind: String) {
        // Rows of more than `screenSpan` columns: the vectorised rejection runs span by span.
        let (x, labels) = generated(kind, n: 1100, dim: 24, classes: 220, seed: 5)
        #expect(1100 > 2 * ExactNeighbours.screenSpan)
        let k = RetrievalMetrics.neighbourCount(labels: labels)
        let expected = bruteForceNeighbours(x, k: k)
        #expect(ExactNeighbours(x, k: k, blockRows: 300).neighbours == expected, "\(kind)")
        #expect(ExactNeighbours(x, k: k, blockRows: 300, threads: 2).neighbours == expected, "\(kind), 2 threads")
        // Several GEMM tiles per block (a tile boundary inside a block's own triangle too): the same
        // neighbours for any thread count (the tiles do not depend on it). The
        // products may differ in their last bits from one GEMM shape to another, so the mean distance
        // only agrees to well within the screen's bound.
        let tiled = ExactNeighbours(x, k: k, blockRows: 300, tileColumns: 170)
        let tiledTwo = ExactNeighbours(x, k: k, blockRows: 300, tileColumns: 170, threads: 2)
        #expect(tiled.neighbours == expected && tiledTwo.neighbours == expected, "\(kind), tiles")
        let meanTiled = ExactNeighbours(x, k: k, meanDistance: true, blockRows: 300, tileColumns: 170)
        let meanWhole = ExactNeighbours(x, k: k, meanDistance: true, blockRows: 300, tileColumns: 1100)
        #expect(meanTiled.neighbours == expected)
        #expect(abs(meanTiled.meanPairwiseDistance! - meanWhole.meanPairwiseDistance!) <= 1e-6 * meanWhole.meanPairwiseDistance!, "\(kind)")
    }

    @Test func theFloat32RejectionKeepsEveryColumnTheDoubleOneKeeps() {
        // The screen's rejection in Float32 (eight columns a vector) may reject only pairs the exact
        // test rejects: on rows of products, norms and thresholds like a real screen's, every column
        // the Double rejection keeps is kept, and the Float32 one still rejects nearly all the others.
        var rng = SeededRNG(seed: 21)
        let dim = 512, count = 4096
        let u32 = 0x1p-24, u64 = 0x1p-53
        let twoGamma = 2 * Double(dim + 1) * u32 / (1 - Double(dim + 1) * u32), sumTerm = Double(dim + 3) * u64
        let rho = (u32 + u64 + u32 * u64) / (1 - (u32 + u64 + u32 * u64)), inverseKeep = 1 / (1 - 1e-9)
        var flags = [UInt8](repeating: 0, count: count)
        var keepDouble = [Int32](repeating: 0, count: count), keepSingle = [Int32](repeating: 0, count: count)
        var keptDouble = 0, keptSingle = 0, rejectedDouble = 0
        for trial in 0..<20 {
            let ni = 0.5 + rng.uniform(), si = ni * ni
            let norm = (0..<count).map { _ in 0.5 + rng.uniform() }, sq = norm.map { $0 * $0 }
            // Products that put the distances around 1.4, and thresholds from 0.2 to beyond them (some ∞).
            let gram = (0..<count).map { (j: Int) -> Float in
                let distance = 1.4 + 0.3 * rng.normal()
                return Float(0.5 * (si + sq[j] - distance * distance))
            }
            let thresholds = (0..<count).map { _ in rng.uniform() < 0.05 ? Double.infinity : 0.2 + 1.4 * rng.uniform() }
            let ti = trial % 4 == 0 ? Double.infinity : 0.2 + 1.2 * rng.uniform()
            let nd = isomine_screen_survivors(gram, sq, norm, thresholds, count, si, ni, ti, twoGamma, sumTerm, rho, inverseKeep, &flags, &keepDouble)
            let ns = isomine_screen_survivors_f32(gram, sq.map(Float.init), norm.map(Float.init), thresholds.map(Float.init), count, Float(si), Float(ni),
                                                  Float(ti), Float(twoGamma), Float(sumTerm), Float(rho), Float(inverseKeep), &flags, &keepSingle)
            let single = Set(keepSingle[..<ns])
            #expect(keepDouble[..<nd].allSatisfy { single.contains($0) }, "trial \(trial)")
            keptDouble += nd
            keptSingle += ns
            rejectedDouble += count - nd
        }
        #expect(rejectedDouble > 10 * count)
        #expect(Double(keptSingle - keptDouble) <= 0.01 * Double(rejectedDouble), "Float32 kept \(keptSingle), Double \(keptDouble)")
    }

    @Test func largeClassesUseTheRowScreenWithTheSameResult() {
        // 3 classes of 200: k = 199, above the pools' limit.
        let (x, labels) = generated("overlapping", n: 600, dim: 6, classes: 3, seed: 11)
        let k = RetrievalMetrics.neighbourCount(labels: labels)
        #expect(k > ExactNeighbours.poolLimit)
        let nn = ExactNeighbours(x, k: k, blockRows: 100)
        #expect(nn.neighbours == bruteForceNeighbours(x, k: k))
        let brute = RetrievalMetrics(distances: x.converted(to: Double.self).pairwiseDistances(), labels: labels)
        let fast = RetrievalMetrics(neighbours: nn, labels: labels)
        #expect(abs(fast.mapAtR - brute.mapAtR) < 1e-12 && abs(fast.rPrecision - brute.rPrecision) < 1e-12 && fast.precisionAt1 == brute.precisionAt1)
    }

    @Test func allRowsIdenticalKeepsTheLowestIndices() {
        var x = Matrix<Float>(rows: 50, cols: 4)
        for i in 0..<50 { for c in 0..<4 { x[i, c] = 0.25 } }
        let nn = ExactNeighbours(x, k: 3, blockRows: 8)
        #expect(Array(nn.neighbours.prefix(3)) == [1, 2, 3] && Array(nn.neighbours[3 * 10..<3 * 10 + 3]) == [0, 1, 2])
        #expect(ExactNeighbours(x, k: 3, blockRows: 8, strategy: .rows).neighbours == nn.neighbours)
        // Compaction keeps the pools small even though every distance is tied.
        #expect(nn.candidatesRanked < 50 * 40)
    }
}
