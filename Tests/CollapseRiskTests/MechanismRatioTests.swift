// The mechanism ratio: d_iso to the class-centroid collapse against the certified d_iso to the
// nearest separated embedding found that keeps half the spread.
import Foundation
import Isometry
import Linalg
import Testing
@testable import CollapseRisk

@Suite struct MechanismRatioTests {
    @Test func anAlreadySeparatedBatchIsItsOwnTarget() throws {
        // Two tight classes far apart: f is separated and keeps its spread, so the distance to a
        // non-collapsed target is 0 and the ratio is at its cap; the collapse is as far as the classes' widths.
        let points = Matrix<Double>(rows: 4, cols: 1, storage: [0, 0.1, 10, 10.1])
        let r = try MechanismRatio(points: points, labels: [0, 0, 1, 1])
        #expect(r.toSeparatedKeepingSpread == 0)
        #expect(abs(r.toCollapse - 0.1) < 1e-12)
        #expect(r.ratio == MechanismRatio.maxRatio)
    }

    @Test func theWitnessIsSeparatedAndKeepsHalfTheSpread() throws {
        // Interleaved classes on a line in R² with a seeded jitter: not separated, so both distances are positive.
        var rng = SeededRNG(seed: 7)
        let labels = (0..<24).map { $0 % 3 }
        let points = Matrix<Double>(rows: 24, cols: 2, storage: (0..<24).flatMap { i in [Double(i) + 0.2 * rng.normal(), 0.2 * rng.normal()] })
        let f = try LabeledPoints(points: points, labels: labels)
        let result = f.searchFStar(options: FStarOptions(iterations: 200, minContraction: MechanismRatio.minContraction))
        let witness = try #require(result.keepingSpread)
        #expect(try LabeledPoints(points: witness.points, labels: labels).separation().isSeparated)
        func spread(_ m: Matrix<Double>) -> Double {
            let d2 = exactPairwiseSquaredDistances(m)
            var s = 0.0
            for i in 0..<m.rows { for j in (i + 1)..<m.rows { s += d2[i, j].squareRoot() } }
            return s
        }
        #expect(spread(witness.points) >= MechanismRatio.minContraction * spread(points))
        // Its d_iso is never below the best candidate's over all separated ones (the collapse included).
        #expect(witness.discrepancy.isometric >= result.isometric.discrepancy.isometric)
        let r = try MechanismRatio(points: points, labels: labels, iterations: 200)
        #expect(r.toCollapse > 0 && r.toSeparatedKeepingSpread! > 0 && r.ratio > 0)
        #expect(abs(r.ratio - r.toCollapse / r.toSeparatedKeepingSpread!) < 1e-12)
    }

    @Test func badInputIsNamedNotCrashed() {
        // One class: nothing to separate from.
        #expect(throws: (any Error).self) { try MechanismRatio(points: Matrix<Double>(rows: 2, cols: 1, storage: [0, 1]), labels: [0, 0]) }
    }
}
