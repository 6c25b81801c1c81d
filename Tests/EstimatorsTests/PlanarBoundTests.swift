// The four-point planar bound (exact on the square) and three-point bounds that cancellation cannot raise.
import Foundation
import Testing
import Linalg
@testable import Isometry

@Suite struct PlanarBoundTests {
    /// The unit square with the diagonals as classes: every separated f* has its diagonals no longer than
    /// its sides, and four planar points have max/min ≥ √2, so d_iso = √2 − 1 (L/2 is half of it).
    @Test func squareIsBracketedTightly() throws {
        let square = try LabeledPoints(points: Matrix([[0.0, 0], [1, 1], [1, 0], [0, 1]]), labels: [0, 0, 1, 1])
        let a = IsometryAnalysis(square, options: FStarOptions(iterations: 2000))
        let truth = 2.0.squareRoot() - 1
        #expect(a.isometric.lower <= truth, "certified lower bound \(a.isometric.lower) above the true value")
        #expect(a.isometric.lowerBound?.rule == .planarQuad)
        #expect(a.isometric.upper / a.isometric.lower <= 1.05, "bracket [\(a.isometric.lower), \(a.isometric.upper)]")
        // Rotated, shifted and scaled copies prove the same (up to the scale).
        let t = 0.7, s = 3.5
        let moved = Matrix(square.points.storage.chunked(2).map { p in [s * (cos(t) * p[0] - sin(t) * p[1]) + 4, s * (sin(t) * p[0] + cos(t) * p[1]) - 2] })
        let b = IsometryAnalysis(try LabeledPoints(points: moved, labels: [0, 0, 1, 1]), options: FStarOptions(iterations: 2000))
        #expect(abs(b.isometric.lower / s - a.isometric.lower) < 1e-9)
    }

    /// The ratio the bound rests on: four planar points (random, and the square) never have max/min below √2;
    /// the check on a set's own distances is never more than its true d_iso (checked against the search).
    @Test func fourPointBoundIsBelowTheSearchedValue() throws {
        var rng = SeededRNG(seed: 12)
        for _ in 0..<20 {
            let x = Matrix((0..<4).map { _ in [rng.normal(), rng.normal()] })
            let d = FourPoints.pairs.map { p in hypot(x[p.0, 0] - x[p.1, 0], x[p.0, 1] - x[p.1, 1]) }
            #expect(d.max()! >= 2.0.squareRoot() * d.min()! * (1 - 1e-12))
            let labels = [0, 0, 1, 1]
            let f = try LabeledPoints(points: x, labels: labels)
            let bound = FourPoints(labels, distances: d).bound(ratio: 2.0.squareRoot())
            let searched = IsometryAnalysis(f, options: FStarOptions(iterations: 1500)).isometric.upper
            #expect(bound <= searched + 1e-9, "four-point bound \(bound) above a certified f*'s error \(searched)")
        }
    }

    /// Class 0 = {(0,0), (2,0)}, class 1 = {(1, 1e-8)} twice: an explicit separated f* moves no point by more
    /// than 0.5773502658562924 (checked in 60-digit arithmetic), so no certified d_haus lower bound may
    /// exceed it. From distances, √(c²) of a cancelling difference gave 0.5773502691896168.
    @Test func cancellationCannotRaiseTheThreePointBounds() throws {
        let f = try LabeledPoints(points: Matrix([[0.0, 0], [2, 0], [1, 1e-8], [1, 1e-8]]), labels: [0, 0, 1, 1])
        let a = IsometryAnalysis(f, options: FStarOptions(iterations: 200))
        #expect(a.hausdorff.lower <= 0.5773502658562924, "d_haus lower bound \(a.hausdorff.lower)")
        #expect(a.hausdorff.lower > 0.57735026, "the bound stays tight: \(a.hausdorff.lower)")
        // The planar triangle from coordinates keeps the height (1e-8) that distances lose.
        let t = PlanarTriangle(f.points, a: 2, p: 0, q: 1)
        #expect(abs(t.ar - 1e-8) < 1e-20)
        // The anchor-ball bound of the same subset is below it too.
        for triangle in [PlanarTriangle(f.points, a: 0, p: 1, q: 2), PlanarTriangle(f.points, a: 1, p: 0, q: 2)] {
            #expect(SubsetBounds.anchorBallBound(triangle, dimension: 2) <= 0.5773502658562924)
            #expect(SubsetBounds.twoAnchorBound(triangle) <= 0.5773502658562924 + 1e-15)
        }
    }
}

extension Array {
    func chunked(_ size: Int) -> [[Element]] { stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) } }
}
