// Thickness against brute force, effective rank, collapse metrics, the report and its probe.
import Foundation
import Testing
import Linalg
@testable import Estimators
@testable import Isometry

/// min over `count` evenly spaced (2-D) or random (n-D) unit directions of the width.
func bruteWidth(_ x: Matrix<Double>, count: Int, rng: inout SeededRNG) -> Double {
    var best = Double.infinity
    for i in 0..<count {
        var e: [Double]
        if x.cols == 2 {
            let angle = Double.pi * Double(i) / Double(count)
            e = [cos(angle), sin(angle)]
        } else {
            e = (0..<x.cols).map { _ in rng.normal() }
            let norm = e.reduce(0) { $0 + $1 * $1 }.squareRoot()
            e = e.map { $0 / norm }
        }
        best = min(best, Thickness.width(x, e))
    }
    return best
}

@Suite struct ThicknessTests {
    @Test func rotatingCalipersEqualBruteForceIn2D() {
        var rng = SeededRNG(seed: 5)
        for _ in 0..<20 {
            let n = 5 + rng.int(below: 40)
            let stretch = 0.2 + rng.uniform() * 3
            let x = Matrix<Double>((0..<n).map { _ in [rng.normal() * stretch, rng.normal()] })
            let t = Thickness(x)
            #expect(t.exact && t.lower == t.upper)
            let brute = bruteWidth(x, count: 10_000, rng: &rng)
            // The brute force over 10⁴ directions can only be larger, by at most its angular resolution.
            #expect(t.upper <= brute + 1e-12)
            #expect(brute - t.upper <= t.diameter * (Double.pi / 10_000))
        }
        // A unit square: width 1, diameter √2.
        let square = Thickness(Matrix<Double>([[0, 0], [1, 0], [1, 1], [0, 1], [0.5, 0.5]]))
        #expect(abs(square.upper - 1) < 1e-12 && abs(square.diameter - 2.0.squareRoot()) < 1e-12)
        #expect(abs(square.qUpper - 1 / 2.0.squareRoot()) < 1e-12)
    }

    @Test func bracketContainsBruteForceIn3D() {
        var rng = SeededRNG(seed: 6)
        for _ in 0..<10 {
            let x = Matrix<Double>((0..<60).map { _ in [rng.normal() * 3, rng.normal(), rng.normal() * 0.5] })
            let t = Thickness(x)
            #expect(!t.exact && t.lower <= t.upper)
            let brute = bruteWidth(x, count: 20_000, rng: &rng)
            #expect(t.lower <= brute + 1e-12, "lower \(t.lower) vs brute \(brute)")
            #expect(t.upper <= brute * 1.02, "upper \(t.upper) vs brute \(brute)")
        }
    }

    @Test func wideSetsSearchOnFloat32ProductsAndMeasureTheWidthExactly() {
        // 400 points in R⁴⁸ (the batched search: above `greedyDimensions`), thin along a direction that is
        // no coordinate axis. The search chooses on Float32 products; the upper end is the exact width of
        // the direction chosen: never above the smallest principal axis's width it starts from, and the
        // same for a rotated, shifted and scaled copy (the search runs in the canonical frame).
        let (n, dim) = (400, 48)
        var rng = SeededRNG(seed: 12)
        var thin = (0..<dim).map { _ in rng.normal() }
        let norm = thin.reduce(0) { $0 + $1 * $1 }.squareRoot()
        thin = thin.map { $0 / norm }
        var x = Matrix<Double>(rows: n, cols: dim)
        for i in 0..<n {
            var p = (0..<dim).map { _ in rng.normal() }
            let along = zip(p, thin).reduce(0) { $0 + $1.0 * $1.1 }
            let target = 0.05 * (2 * rng.uniform() - 1)
            for k in 0..<dim { p[k] += (target - along) * thin[k] }
            for k in 0..<dim { x[i, k] = p[k] }
        }
        #expect(dim > Thickness.greedyDimensions)
        let t = Thickness(x)
        #expect(!t.exact && t.lower <= t.upper)
        let frame = CanonicalFrame(x)
        let axis = (0..<dim).map { frame.axes[$0, dim - 1] }
        #expect(t.upper <= Thickness.width(x, axis), "upper \(t.upper) vs the smallest axis's width \(Thickness.width(x, axis))")
        #expect(t.upper <= 0.1 * 1.05, "upper \(t.upper) vs the slab's width 0.1")
        // A rotation (a random orthogonal matrix from a QR of Gaussians), a shift and a scale by 3.
        var q = Matrix<Double>(rows: dim, cols: dim)
        for c in 0..<dim {
            var v = (0..<dim).map { _ in rng.normal() }
            for c2 in 0..<c {
                let dot = (0..<dim).reduce(0.0) { $0 + v[$1] * q[$1, c2] }
                for k in 0..<dim { v[k] -= dot * q[k, c2] }
            }
            let length = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            for k in 0..<dim { q[k, c] = v[k] / length }
        }
        var moved = x.matmul(q)
        for i in 0..<moved.storage.count { moved.storage[i] = 3 * moved.storage[i] + 1.5 }
        let u = Thickness(moved)
        #expect(abs(u.upper - 3 * t.upper) <= 1e-6 * u.upper, "moved: \(u.upper) vs 3 × \(t.upper)")
    }

    @Test func rankDeficientSetsHaveZeroThickness() {
        // Collinear points in R³, and N ≤ n.
        let line = Thickness(Matrix<Double>((0..<10).map { i in [Double(i), 2 * Double(i), -Double(i)] }))
        #expect(line.exact && line.upper == 0 && line.diameter > 0)
        let few = Thickness(Matrix<Double>([[0, 0, 0], [1, 2, 3], [4, 1, 0]]))
        #expect(few.exact && few.upper == 0)
        let one = Thickness(Matrix<Double>([[3], [-1], [2]]))
        #expect(one.exact && one.upper == 4)
    }
}

@Suite struct CollapseMetricTests {
    @Test func effectiveRankCountsDimensions() {
        var rng = SeededRNG(seed: 1)
        let iso = Matrix<Double>((0..<2000).map { _ in (0..<4).map { _ in rng.normal() } })
        #expect(abs(effectiveRank(iso) - 4) < 0.1)
        let flat = Matrix<Double>((0..<200).map { _ in let t = rng.normal(); return [t, 2 * t, 0] })
        #expect(abs(effectiveRank(flat) - 1) < 1e-6)
        #expect(effectiveRank(Matrix<Double>([[1, 1], [1, 1], [1, 1]])) == 0)
    }

    @Test func collapsedAndHealthyVerdicts() throws {
        var rng = SeededRNG(seed: 2)
        // Four well separated unit-sphere clusters: healthy.
        var rows = [[Double]](), labels = [Int]()
        for c in 0..<4 {
            for _ in 0..<20 {
                var v = (0..<4).map { k in (k == c ? 1 : 0) + 0.01 * rng.normal() }
                let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
                v = v.map { $0 / norm }
                rows.append(v)
                labels.append(c)
            }
        }
        let healthy = try EstimatorReport(points: Matrix(rows), labels: labels)
        #expect(healthy.verdict == .healthy && healthy.separated && healthy.lHard < 0)
        #expect(healthy.dIso.upper == 0 && healthy.fStar.contraction == 1)
        // 24 % of pairs are within a class (≈ 0 apart), the rest √2 apart: mean ratio ≈ 0.76.
        #expect(healthy.collapse.reference == .sphere && abs(healthy.collapse.meanRatio! - 0.76) < 0.02)
        // Everything near one point of the sphere: collapsed.
        let collapsed = try EstimatorReport(points: Matrix(rows.map { r in [1, 0, 0, 0].enumerated().map { $1 + 1e-5 * r[$0] } }), labels: labels)
        // Still triplet-separated (a scaled copy): never collapsed, but the spread's collapse is named.
        #expect(collapsed.verdict == .partial && collapsed.separated)
        #expect(collapsed.collapse.meanRatio! < 0.05 && collapsed.diagnosis.failures == [.networkCollapse])
    }

    @Test func probeIsStratifiedSeededAndNamedInTheOutput() throws {
        var rng = SeededRNG(seed: 3)
        let labels = (0..<300).map { $0 < 200 ? 0 : ($0 < 270 ? 1 : 2) }
        let x = Matrix<Double>((0..<300).map { i in [Double(labels[i]) + rng.normal(), rng.normal()] })
        let options = EstimatorOptions(maxExactPoints: 100, probeSize: 60, seed: 9, fStar: FStarOptions(iterations: 30))
        let a = try EstimatorReport(points: x, labels: labels, options: options)
        #expect(a.probe == ProbeInfo(size: 60, of: 300, subset: true, seed: 9))
        #expect(a.classThickness.map(\.size) == [40, 14, 6])
        let b = try EstimatorReport(points: x, labels: labels, options: options)
        #expect(a.lHard == b.lHard && a.dIso == b.dIso)
        var tooBig = options
        tooBig.probeSize = 301
        #expect(throws: EstimatorError("probe size 301 is larger than the set (300 points)", option: "probe_size")) {
            try EstimatorReport(points: x, labels: labels, options: tooBig)
        }
    }
}
