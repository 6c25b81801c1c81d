// The closed forms of DESIGN §1 (a = 0, p = 2 of class 0; q = q' = 1 of class 1): the f* search
// must leave the line the points lie on, and give the same optimum for rotated and shifted copies.
import Foundation
import Testing
import Linalg
@testable import Estimators
@testable import Isometry

/// The closed-form set laid along `direction` (unit) from `origin` in Rⁿ.
func closedFormSet(dim: Int, direction: [Double]? = nil, origin: [Double]? = nil) throws -> LabeledPoints {
    var e = direction ?? (0..<dim).map { $0 == 0 ? 1.0 : 0 }
    let norm = e.reduce(0) { $0 + $1 * $1 }.squareRoot()
    e = e.map { $0 / norm }
    let o = origin ?? [Double](repeating: 0, count: dim)
    let rows = [0.0, 2, 1, 1].map { t in (0..<dim).map { o[$0] + t * e[$0] } }
    return try LabeledPoints(points: Matrix(rows), labels: [0, 0, 1, 1])
}

@Suite struct SpanTests {
    /// True values: R¹ d_iso = 1, d_haus = 3/4; R² and above d_iso = 1/2, d_haus = 1/√3.
    func truth(_ dim: Int) -> (iso: Double, haus: Double) { dim == 1 ? (1, 0.75) : (0.5, 1 / 3.0.squareRoot()) }

    func check(_ f: LabeledPoints, dim: Int, _ label: String) {
        let a = IsometryAnalysis(f)
        let t = truth(dim)
        #expect(a.isometric.lower <= t.iso + 1e-12 && t.iso <= a.isometric.upper + 1e-9, "\(label): d_iso bracket \(a.isometric) misses \(t.iso)")
        #expect(a.hausdorff.lower <= t.haus + 1e-12 && t.haus <= a.hausdorff.upper + 1e-9, "\(label): d_haus bracket \(a.hausdorff) misses \(t.haus)")
        #expect(a.isometric.upper <= 1.02 * t.iso, "\(label): d_iso upper \(a.isometric.upper), true \(t.iso)")
        #expect(a.hausdorff.upper <= 1.02 * t.haus, "\(label): d_haus upper \(a.hausdorff.upper), true \(t.haus)")
    }

    @Test(arguments: [1, 2, 3, 8])
    func closedFormOnTheAxis(dim: Int) throws {
        check(try closedFormSet(dim: dim), dim: dim, "R^\(dim) on the axis")
    }

    @Test func rotatedAndShiftedCopies() throws {
        let angle = 53.0 * Double.pi / 180
        check(try closedFormSet(dim: 2, direction: [cos(angle), sin(angle)], origin: [3, -7]), dim: 2, "R^2 rotated 53°")
        var rng = SeededRNG(seed: 11)
        for dim in [3, 5] {
            let direction = (0..<dim).map { _ in rng.normal() }
            let origin = (0..<dim).map { _ in 100 * rng.normal() }
            check(try closedFormSet(dim: dim, direction: direction, origin: origin), dim: dim, "R^\(dim) rotated and shifted")
        }
        check(try closedFormSet(dim: 1, origin: [-42]), dim: 1, "R^1 shifted")
    }

    /// With fewer than half as many points as dimensions the search runs in a reduced frame: the points'
    /// span (here a line) plus N directions outside it, r + N axes instead of n. No f* is lost (the
    /// frame's proof): the closed form is found in R¹⁶ and R⁶⁴, rotated and shifted, and the frame maps
    /// its own coordinates back onto the points.
    @Test func aSmallSetInManyDimensionsIsSearchedInItsReducedFrame() throws {
        var rng = SeededRNG(seed: 17)
        for dim in [16, 64] {
            let direction = (0..<dim).map { _ in rng.normal() }
            let origin = (0..<dim).map { _ in 10 * rng.normal() }
            let f = try closedFormSet(dim: dim, direction: direction, origin: origin)
            let frame = CanonicalFrame(f.points, reduced: true)
            #expect(frame.canonical.cols == 1 + 4, "R^\(dim): the line and 4 directions off it")
            let back = frame.original(frame.canonical)
            #expect(zip(back.storage, f.points.storage).allSatisfy { abs($0 - $1) < 1e-6 }, "R^\(dim): the frame maps back")
            #expect(CanonicalFrame(f.points).canonical.cols == dim, "the full frame stays the default")
            // The frame's axes are orthonormal (the points' line and the four added directions).
            let gram = frame.axes.matmul(frame.axes, transposeSelf: true)
            #expect((0..<5).allSatisfy { i in (0..<5).allSatisfy { j in abs(gram[i, j] - (i == j ? 1 : 0)) < 1e-9 } }, "R^\(dim): axes not orthonormal")
            check(f, dim: dim, "R^\(dim) rotated and shifted, reduced frame")
        }
    }
}
