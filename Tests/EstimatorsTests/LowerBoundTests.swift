// The certified lower bounds: subset bounds against the closed forms and against dense searches of
// their own three-point problems, the rounding-safe separation check, and Theorem 3's three outcomes.
import Foundation
import Testing
import Linalg
@testable import Estimators
@testable import Isometry

@Suite struct LowerBoundTests {
    @Test func twoAnchorBoundIsExactOnTheClosedForm() throws {
        // a = 0, p = 2, q = 1: d_haus = 1/√3 in R² and above; the bound proves it, from {a, p, q}.
        for dim in [2, 3, 8] {
            let a = IsometryAnalysis(try closedFormSet(dim: dim))
            #expect(abs(a.hausdorff.lower - 1 / 3.0.squareRoot()) < 1e-9, "R^\(dim): \(a.hausdorff.lower)")
            #expect(a.hausdorff.lowerBound?.rule == .twoAnchor)
            #expect(Set(a.hausdorff.lowerBound!.points).count == 3)
            #expect(a.hausdorff.ratio! <= 1.02)
        }
        // In R¹ the true value is 3/4; the bound (valid in any dimension) stays below it.
        let line = IsometryAnalysis(try closedFormSet(dim: 1))
        #expect(line.hausdorff.lower > 0.25 && line.hausdorff.lower <= 0.75)
    }

    @Test func lineOrderBoundIsExactInROne() throws {
        // The closed form in R¹: d_iso = 1, twice L/2; the three-point bound proves it.
        let a = IsometryAnalysis(try closedFormSet(dim: 1))
        #expect(abs(a.isometric.lower - 1) < 1e-9, "R^1 d_iso lower \(a.isometric.lower)")
        #expect(a.isometric.lowerBound?.rule == .lineOrder)
        #expect(a.isometric.ratio! <= 1.02)
        // Against a dense search of the three-point problem on the line (y_a = 0 by translation): the
        // bound is never above the searched optimum (soundness) and within the grid's resolution of it.
        var rng = SeededRNG(seed: 5)
        for _ in 0..<25 {
            let ya = 0.0, yp = 4 * rng.uniform() - 2, yq = 4 * rng.uniform() - 2
            let (ap, aq, pq) = (abs(ya - yp), abs(ya - yq), abs(yp - yq))
            guard ap > aq || ap > pq else { continue }  // separated triples have d_iso 0 on S
            let bound = SubsetBounds.lineIsometricBound(ap: ap, aq: aq, pq: pq)
            var best = Double.infinity
            let steps = 400, step = 8.0 / Double(steps)
            for i in 0...steps {
                let sp = -4 + Double(i) * step
                for j in 0...steps {
                    let sq = -4 + Double(j) * step
                    let (u, v, w) = (abs(sp), abs(sq), abs(sp - sq))
                    guard u <= v && u <= w else { continue }
                    best = min(best, max(abs(u - ap), abs(v - aq), abs(w - pq)))
                }
            }
            #expect(bound <= best + 1e-12, "bound \(bound) above the searched optimum \(best) for \((ap, aq, pq))")
            #expect(bound >= best - 2 * step, "bound \(bound) far below the searched optimum \(best) for \((ap, aq, pq))")
        }
    }

    /// min over the disk of radius h around a of ‖z − p‖ − ‖z − q‖ by dense sampling (an upper estimate).
    func sampledMinimum(a: (Double, Double), p: (Double, Double), q: (Double, Double), h: Double) -> Double {
        var best = Double.infinity
        for i in 0...60 {
            let r = h * Double(i) / 60
            for k in 0..<720 {
                let t = 2 * Double.pi * Double(k) / 720
                let z = (a.0 + r * cos(t), a.1 + r * sin(t))
                best = min(best, hypot(z.0 - p.0, z.1 - p.1) - hypot(z.0 - q.0, z.1 - q.1))
            }
        }
        return best
    }

    @Test func anchorBallBoundIsCertifiedAndTight() {
        var rng = SeededRNG(seed: 31)
        for _ in 0..<30 {
            let a = (0.0, 0.0), p = (rng.normal() * 2, rng.normal() * 2), q = (rng.normal(), rng.normal())
            let ap = hypot(p.0, p.1), aq = hypot(q.0, q.1), pq = hypot(p.0 - q.0, p.1 - q.1)
            guard ap - aq > 0.05 else { continue }
            let bound = SubsetBounds.anchorBallBound(ap: ap, aq: aq, pq: pq, dimension: 2)
            #expect(bound >= (ap - aq) / 4 - 1e-12 && bound <= (ap - aq) / 2)
            // Certified: at h just below the bound the dense search finds no feasible z either.
            #expect(sampledMinimum(a: a, p: p, q: q, h: bound * 0.999) > 2 * bound * 0.999 - 1e-9)
            // Tight: a little above it a feasible z exists.
            let above = bound * 1.02 + 1e-9
            #expect(sampledMinimum(a: a, p: p, q: q, h: above) <= 2 * above)
        }
    }

    @Test func boundsNameTheirSubsetInTheCallersRows() throws {
        var rng = SeededRNG(seed: 4)
        let labels = (0..<300).map { $0 % 3 }
        let x = Matrix<Double>((0..<300).map { i in [Double(labels[i]) * 0.5 + rng.normal(), rng.normal()] })
        let options = EstimatorOptions(maxExactPoints: 100, probeSize: 60, seed: 1, fStar: FStarOptions(iterations: 40))
        let r = try EstimatorReport(points: x, labels: labels, options: options)
        for bracket in [r.dIso, r.dHaus] {
            let points = bracket.lowerBound!.points
            #expect(points.count == 3 && points.allSatisfy { $0 >= 0 && $0 < 300 })
            // The subset's own triplet margin backs the bound: a, p share a class, the third does not.
            #expect(labels[points[0]] == labels[points[1]] && labels[points[2]] != labels[points[0]])
        }
    }

    @Test func separationCertificateRefusesRoundingTies() {
        // One ulp of violation: |a − p| = 1 > |a − q| = 1 − 2⁻⁵³·2.
        let violated = Matrix<Double>([[0], [1], [(1.0).nextDown], [-1]])
        let d2 = exactPairwiseSquaredDistances(violated)
        #expect(!LabeledPoints.certifiesSeparation(squaredDistances: d2, labels: [0, 0, 1, 1], dimension: 1))
        // An exact tie is separated by Def. 1, but a computed tie could hide a violation: not certified.
        let tie = Matrix<Double>([[0, 0], [0.3, 0.4], [-0.4, 0.3], [5, 5]])
        #expect(!LabeledPoints.certifiesSeparation(squaredDistances: exactPairwiseSquaredDistances(tie), labels: [0, 0, 1, 1], dimension: 2))
        // Coinciding class members (the centroid collapse) always pass.
        let collapsed = Matrix<Double>([[1, 1], [1, 1], [1, 1], [1, 1]])
        #expect(LabeledPoints.certifiesSeparation(squaredDistances: exactPairwiseSquaredDistances(collapsed), labels: [0, 0, 1, 1], dimension: 2))
        // A set separated with room to spare passes.
        let apart = Matrix<Double>([[0, 0], [0.1, 0], [5, 5], [5, 5.1]])
        #expect(LabeledPoints.certifiesSeparation(squaredDistances: exactPairwiseSquaredDistances(apart), labels: [0, 0, 1, 1], dimension: 2))
    }

    @Test func theorem3HasThreeOutcomes() {
        let haus = Bracket(lower: 0, upper: 1)
        #expect(TheoremChecks(isometric: Bracket(lower: 0.5, upper: 1.9), hausdorff: haus, hardestLoss: 1).theorem3 == .holds)
        #expect(TheoremChecks(isometric: Bracket(lower: 0.5, upper: 2.1), hausdorff: haus, hardestLoss: 1).theorem3 == .inconclusive)
        #expect(TheoremChecks(isometric: Bracket(lower: 2.1, upper: 2.5), hausdorff: haus, hardestLoss: 1).theorem3 == .violated)
        #expect(TheoremChecks(isometric: Bracket(lower: 0, upper: 0), hausdorff: haus, hardestLoss: -0.3).theorem3 == .holds)
    }
}
