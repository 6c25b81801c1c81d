// The repair's bisection evaluates only the blend constraints that can fail; it must answer exactly as
// evaluating every pair did (the same t, bit for bit), and drop most pairs.
import Testing
import Linalg
@testable import Isometry

@Suite struct BlendConstraintsTests {
    /// The inputs `repair` gives `BlendConstraints`, and the predicate over every cross-class pair as the
    /// bisection evaluated it before.
    struct Setup {
        let constraints: BlendConstraints
        let all: (Double) -> Bool
        let pairs: Int
    }

    func setup(_ f: LabeledPoints, _ y: Matrix<Double>) -> Setup {
        let n = f.count, k = f.classes.count, labels = f.labels
        let d2 = exactPairwiseSquaredDistances(y)
        let centroids = f.centroidCollapse(of: y).rows(f.classes.map { $0[0] })
        let yc = y.matmul(centroids, transposeOther: true).storage, cc = centroids.matmul(centroids, transposeOther: true).storage
        var far = [Double](repeating: 0, count: n)
        for a in 0..<n { for j in 0..<n where j != a && labels[j] == labels[a] { far[a] = max(far[a], d2[a, j]) } }
        let gamma = LabeledPoints.roundingAllowance(dimension: y.cols)
        let marginFactor = (1 + 2 * gamma) / (1 - 2 * gamma)
        let constraints = BlendConstraints(squaredDistances: d2, labels: labels, classes: k, yc: yc, cc: cc, farPositive: far,
                                           marginFactor: marginFactor, threads: 2)
        let all: (Double) -> Bool = { t in
            let s = 1 - t
            for a in 0..<n {
                let A = labels[a], pos = s * s * far[a] * marginFactor
                for q in 0..<n where labels[q] != A {
                    let B = labels[q]
                    let uv = yc[a * k + A] - yc[a * k + B] - yc[q * k + A] + yc[q * k + B]
                    let vv = cc[A * k + A] - 2 * cc[A * k + B] + cc[B * k + B]
                    if s * s * d2[a, q] + 2 * t * s * uv + t * t * vv < pos { return false }
                }
            }
            return true
        }
        let pairs = (0..<n).reduce(0) { total, a in total + (0..<n).filter { labels[$0] != labels[a] }.count }
        return Setup(constraints: constraints, all: all, pairs: pairs)
    }

    @Test(arguments: [(1.0, 3 as UInt64), (2.5, 4), (0.3, 5)])
    func theKeptConstraintsDecideAsAllPairsDo(separation: Double, seed: UInt64) throws {
        let f = try overlappingClasses(classes: 6, perClass: 20, dim: 5, separation: separation, seed: seed)
        var rng = SeededRNG(seed: seed)
        // f itself, and f moved a little (a descent's iterate).
        var moved = f.points
        for i in 0..<moved.storage.count { moved.storage[i] += 0.05 * rng.normal() }
        for y in [f.points, moved] {
            let s = setup(f, y)
            #expect(s.constraints.kept < s.pairs)
            // The bisection's own points and others: the same answer everywhere.
            var lo = 0.0, hi = 1.0, ts: [Double] = [0, 1e-9, 0.3, 0.999]
            for _ in 0..<32 {
                let mid = 0.5 * (lo + hi)
                ts.append(mid)
                if s.all(mid) { hi = mid } else { lo = mid }
            }
            for t in ts { #expect(s.constraints.hold(at: t) == s.all(t), "t = \(t)") }
        }
    }

    @Test func aNearlySeparatedSetKeepsFewConstraints() throws {
        // Well separated classes with one point pushed into another class: only its class's anchors (whose
        // farthest positive it now is) and the constraints naming it as a negative can bind.
        let f = try overlappingClasses(classes: 8, perClass: 25, dim: 6, separation: 8, seed: 2)
        var y = f.points
        for c in 0..<6 { y[0, c] = f.points[f.classes[1][0], c] }
        let s = setup(f, y)
        #expect(s.constraints.kept <= 25 * 175 + 175, "kept \(s.constraints.kept) of \(s.pairs)")
        #expect(!s.all(0) && s.all(1))
        #expect(s.constraints.hold(at: 0) == s.all(0) && s.constraints.hold(at: 1) == s.all(1))
    }
}
