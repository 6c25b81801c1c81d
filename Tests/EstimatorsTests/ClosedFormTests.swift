// Hand-solved cases with closed-form d_iso and d_haus.
import Testing
import Linalg
@testable import Estimators
@testable import Isometry

func labeled(_ rows: [[Double]], _ labels: [Int]) throws -> LabeledPoints {
    try LabeledPoints(points: Matrix<Double>(rows), labels: labels)
}

@Suite struct ClosedFormTests {
    @Test func threeCollinearPoints() throws {
        // a = 0, p = 4 (class 0), q = −1 (class 1): L_hard = 4 − 1 = 3. Moving a and p toward each
        // other and q away reaches separation with d_iso = L_hard/2 and d_haus = L_hard/4.
        for dim in [1, 2] {
            let rows: [[Double]] = [[0], [4], [-1]].map { $0 + Array(repeating: 0, count: dim - 1) }
            let f = try labeled(rows, [0, 0, 1])
            let a = IsometryAnalysis(f)
            #expect(abs(a.hardestLoss - 3) < 1e-12)
            #expect(abs(a.isometric.lower - 1.5) < 1e-12 && abs(a.hausdorff.lower - 0.75) < 1e-12)
            #expect(a.isometric.upper >= 1.5 && a.isometric.upper <= 1.5 * 1.01, "d_iso upper \(a.isometric.upper) in R^\(dim)")
            #expect(a.hausdorff.upper >= 0.75 && a.hausdorff.upper <= 0.75 * 1.02, "d_haus upper \(a.hausdorff.upper) in R^\(dim)")
            #expect(a.checks.theorem3 == .holds)
        }
    }

    @Test func separatedSetIsItsOwnFStar() throws {
        let f = try labeled([[0, 0], [0.1, 0], [5, 5], [5, 5.1]], [0, 0, 1, 1])
        let a = IsometryAnalysis(f)
        #expect(a.separated && a.hardestLoss < 0)
        #expect(a.isometric.lower == 0 && a.isometric.upper == 0 && a.hausdorff.lower == 0 && a.hausdorff.upper == 0)
        #expect(a.fStar.isometric.points == f.points)
    }

    @Test func collapsedSetIsZeroEverywhere() throws {
        let f = try labeled([[1, 2], [1, 2], [1, 2], [1, 2]], [0, 0, 1, 1])
        let a = IsometryAnalysis(f)
        #expect(a.hardestLoss == 0 && a.separated)
        #expect(a.isometric.upper == 0 && a.hausdorff.upper == 0 && a.classHausdorff == 0)
    }

    @Test func badInputIsNamed() {
        #expect(throws: EstimatorError("labels: 2 labels for 3 embeddings")) { try labeled([[0], [1], [2]], [0, 1]) }
        #expect(throws: EstimatorError("embeddings: 2 points; the estimators need at least 3")) { try labeled([[0], [1]], [0, 1]) }
        #expect(throws: EstimatorError("labels: a single class; triplet separation needs at least 2 classes")) { try labeled([[0], [1], [2]], [1, 1, 1]) }
        #expect(throws: EstimatorError("embeddings: row 1, column 0 is NaN")) { try labeled([[0], [.nan], [2]], [0, 1, 1]) }
        #expect(throws: EstimatorError("embeddings: row 2, column 0 is infinite")) { try labeled([[0], [1], [.infinity]], [0, 1, 1]) }
    }
}
