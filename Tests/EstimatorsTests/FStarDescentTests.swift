// A full pass of the f* descent against the gradient of its objective written out by definition: the
// smooth maximum of the isometric errors over the pairs within its cutoff, plus the separation penalty
// on each anchor's farthest positive and nearest negative. On the large-set path (Float32 products)
// at a high temperature (the weights as one dense matrix) and at a low one (lists of pairs).
import Foundation
import Testing
import Linalg
@testable import Isometry

@Suite struct FStarDescentTests {
    /// The objective's gradient by definition, in Double from exact distances.
    /// Also returns how many pairs carry the smooth maximum's weight and how many anchors the penalty's.
    static func gradient(y: Matrix<Double>, fd: Matrix<Double>, labels: [Int], unit: Double, annealing a: FStarDescent.Annealing)
        -> (gradient: [Double], weighted: Int, violated: Int) {
        let n = y.rows, dim = y.cols
        let d = exactPairwiseSquaredDistances(y).storage.map { $0.squareRoot() }
        var g = [Double](repeating: 0, count: n * dim)
        func add(_ i: Int, _ j: Int, _ derivative: Double) {  // derivative of the term in d_ij
            let c = derivative / d[i * n + j]
            for k in 0..<dim { let t = c * (y[i, k] - y[j, k]); g[i * dim + k] += t; g[j * dim + k] -= t }
        }
        var top = 0.0
        for i in 0..<n { for j in (i + 1)..<n { top = max(top, abs(d[i * n + j] - fd[i, j])) } }
        var z = 0.0
        var terms: [(Int, Int, Double)] = []
        for i in 0..<n {
            for j in (i + 1)..<n {
                let e = d[i * n + j] - fd[i, j]
                guard abs(e) >= top - a.cutoffWidth else { continue }
                let (up, down) = (exp((e - top) / a.tau), exp((-e - top) / a.tau))
                z += up + down
                terms.append((i, j, up - down))
            }
        }
        for (i, j, difference) in terms { add(i, j, difference / z) }
        let margin = 1e-3 * unit
        var violated = 0
        for anchor in 0..<n {
            var (p, q, far, near) = (-1, -1, -1.0, Double.infinity)
            for j in 0..<n where j != anchor {
                if labels[j] == labels[anchor] { if d[anchor * n + j] > far { (p, far) = (j, d[anchor * n + j]) } }
                else if d[anchor * n + j] < near { (q, near) = (j, d[anchor * n + j]) }
            }
            guard p >= 0, q >= 0, far - near + margin > 0 else { continue }
            violated += 1
            let g = 2 * a.mu * (far - near + margin) / unit
            add(anchor, p, g)
            add(anchor, q, -g)
        }
        return (g, terms.count, violated)
    }

    /// `separation`: the classes' centres apart by this many noise deviations (12: separated, so the
    /// isometric term is checked alone; 2: overlapping, with the penalty).
    @Test(arguments: [0.0, 0.9], [12.0, 2.0])
    func aFullPassOnFloat32ProductsIsTheObjectivesGradient(progress: Double, separation: Double) {
        let (n, dim, classes) = (160, 24, 8)
        var rng = SeededRNG(seed: 77)
        let labels = (0..<n).map { $0 % classes }
        var f = Matrix<Double>(rows: n, cols: dim), y = Matrix<Double>(rows: n, cols: dim)
        for i in 0..<n {
            for k in 0..<dim {
                f[i, k] = (k == labels[i] ? separation : 0) + rng.normal()
                y[i, k] = f[i, k] + 0.3 * rng.normal()
            }
        }
        let fd = Matrix(rows: n, cols: n, storage: exactPairwiseSquaredDistances(f).storage.map { $0.squareRoot() })
        let unit = 0.5
        let annealing = FStarDescent.Annealing(unit: unit, progress: progress)
        let (expected, weighted, violated) = Self.gradient(y: y, fd: fd, labels: labels, unit: unit, annealing: annealing)
        // Each temperature takes the path it is meant to (the dense weights above n²/16 weighted pairs),
        // and each set has the penalty it is meant to.
        #expect(progress == 0 ? weighted > n * n / 16 : weighted <= n * n / 16, "\(weighted) weighted pairs")
        #expect(separation > 10 ? violated == 0 : violated > n / 4, "\(violated) anchors violated")
        let work = FStarWorkspace(n: n, dim: dim, single: true, classes: (0..<classes).map { c in (0..<n).filter { labels[$0] == c } })
        let computed: [Double] = fd.storage.withUnsafeBufferPointer { fdp in
            f.storage.withUnsafeBufferPointer { fp in
                labels.withUnsafeBufferPointer { lp in
                    var descent = FStarDescent(n: n, dim: dim, unit: unit, objective: .isometric, start: y, threads: 2, single: true, work: work,
                                               fd: fdp.baseAddress!, fp: fp.baseAddress!, label: lp.baseAddress!)
                    descent.gradient(annealing)
                    defer { descent.finish(into: work) }
                    return descent.grad.array
                }
            }
        }
        // The pass's distances and weights are Float32 products: equal up to their rounding.
        let scale = expected.reduce(0) { max($0, abs($1)) }
        #expect(scale > 0)
        let worst = zip(computed, expected).reduce(0) { max($0, abs($1.0 - $1.1)) }
        #expect(worst <= 1e-4 * scale, "largest difference \(worst) against a largest component \(scale)")
    }
}
