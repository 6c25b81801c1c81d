// Properties on many random labelled sets: certified bounds hold, f* is separated, values recompute,
// invariance under rigid motions and scaling, and near-optimality against brute force on tiny sets.
import Foundation
import Testing
import Linalg
@testable import Estimators
@testable import Isometry

func randomSet(_ rng: inout SeededRNG, n: Int, dim: Int, classes: Int) throws -> LabeledPoints {
    var labels = (0..<n).map { $0 % classes }
    rng.shuffle(&labels)
    let spread = 0.5 + rng.uniform() * 2
    let rows = (0..<n).map { i in (0..<dim).map { k in rng.normal() + (k == 0 ? spread * Double(labels[i]) : 0) } }
    return try LabeledPoints(points: Matrix(rows), labels: labels)
}

/// A random rotation (the benchmark's Gram–Schmidt of a Gaussian matrix).
func randomRotation(_ rng: inout SeededRNG, _ dim: Int) -> Matrix<Double> { VerdictBenchmark.randomRotation(dim, &rng) }

@Suite struct RandomSetTests {
    @Test func boundsHoldAndFStarIsCertified() throws {
        var rng = SeededRNG(seed: 2024)
        let options = FStarOptions(iterations: 40, checkEvery: 20)
        for trial in 0..<200 {
            // Sets whose classes are all singletons are refused (no anchor has a positive): skipped here.
            guard let f = try? randomSet(&rng, n: 3 + rng.int(below: 22), dim: 1 + rng.int(below: 5), classes: 2 + rng.int(below: 3)) else { continue }
            let a = IsometryAnalysis(f, options: options)
            #expect(a.isometric.lower <= a.isometric.upper, "trial \(trial)")
            #expect(a.hausdorff.lower <= a.hausdorff.upper, "trial \(trial)")
            #expect(a.checks.isometricBracketOrdered && a.checks.hausdorffBracketOrdered)
            for candidate in [a.fStar.isometric, a.fStar.hausdorff] {
                #expect(f.with(points: candidate.points).separation().isSeparated, "trial \(trial): f* not separated")
                let again = Discrepancy(f: f, fDistances: exactPairwiseSquaredDistances(f.points), candidate: candidate.points)
                #expect(again == candidate.discrepancy, "trial \(trial): reported values do not recompute")
            }
            // Upper bounds are the certified candidates' values raised by the rounding allowance only.
            #expect(a.isometric.upper >= a.fStar.isometric.discrepancy.isometric && a.isometric.upper <= a.fStar.isometric.discrepancy.isometric * (1 + 1e-9) + 1e-12)
            #expect(a.hausdorff.upper >= a.fStar.hausdorff.discrepancy.pointwise && a.hausdorff.upper <= a.fStar.hausdorff.discrepancy.pointwise * (1 + 1e-9) + 1e-12)
        }
    }

    @Test func rigidMotionsChangeNothingAndScalingScales() throws {
        var rng = SeededRNG(seed: 7)
        for _ in 0..<10 {
            let dim = 2 + rng.int(below: 3)
            let f = try randomSet(&rng, n: 12, dim: dim, classes: 3)
            let r = randomRotation(&rng, dim)
            let shift = (0..<dim).map { _ in rng.normal() * 10 }
            var moved = f.points.matmul(r)
            for i in 0..<moved.rows { for k in 0..<dim { moved[i, k] += shift[k] } }
            let s = 3.5
            var scaled = f.points
            for i in 0..<scaled.storage.count { scaled.storage[i] *= s }
            let base = IsometryAnalysis(f)
            let rigid = IsometryAnalysis(try LabeledPoints(points: moved, labels: f.labels))
            let big = IsometryAnalysis(try LabeledPoints(points: scaled, labels: f.labels))
            func close(_ x: Double, _ y: Double) -> Bool { abs(x - y) <= 1e-6 * max(1, abs(x), abs(y)) }
            let t = (base: Thickness(f.points), rigid: Thickness(moved), big: Thickness(scaled))
            for (x, y) in [(base.hardestLoss, rigid.hardestLoss), (base.isometric.upper, rigid.isometric.upper),
                           (base.hausdorff.upper, rigid.hausdorff.upper), (base.classHausdorff, rigid.classHausdorff),
                           (t.base.lower, t.rigid.lower), (t.base.upper, t.rigid.upper), (t.base.diameter, t.rigid.diameter)] {
                #expect(close(x, y), "rigid: \(x) vs \(y)")
            }
            for (x, y) in [(s * base.hardestLoss, big.hardestLoss), (s * base.isometric.upper, big.isometric.upper),
                           (s * base.hausdorff.upper, big.hausdorff.upper), (s * t.base.lower, t.big.lower),
                           (s * t.base.upper, t.big.upper), (s * t.base.diameter, t.big.diameter)] {
                #expect(close(x, y), "scaled: \(x) vs \(y)")
            }
        }
    }

    @Test func upperBoundsAreNearBruteForceOnTinySets() throws {
        var rng = SeededRNG(seed: 99)
        for trial in 0..<12 {
            let dim = 1 + trial % 2
            let f = try randomSet(&rng, n: 4 + rng.int(below: 3), dim: dim, classes: 2)
            let a = IsometryAnalysis(f)
            let brute = bruteForce(f, rng: &rng)
            #expect(a.isometric.upper <= brute.iso * 1.02 + 1e-9, "trial \(trial) n=\(dim): d_iso \(a.isometric.upper) vs brute \(brute.iso)")
            #expect(a.hausdorff.upper <= brute.haus * 1.02 + 1e-9, "trial \(trial) n=\(dim): d_haus \(a.hausdorff.upper) vs brute \(brute.haus)")
            // The brute force is a feasible f*: every certified lower bound must stay below it.
            #expect(a.isometric.lower <= brute.iso + 1e-9 && a.hausdorff.lower <= brute.haus + 1e-9, "trial \(trial): lower bound above a feasible f*")
        }
    }

    /// Dense multistart compass search on the exact objectives, rejecting infeasible moves.
    func bruteForce(_ f: LabeledPoints, rng: inout SeededRNG) -> (iso: Double, haus: Double) {
        let fd = exactPairwiseSquaredDistances(f.points)
        func objectives(_ y: Matrix<Double>) -> (Double, Double)? {
            guard f.with(points: y).separation().isSeparated else { return nil }
            let d = Discrepancy(f: f, fDistances: fd, candidate: y)
            return (d.isometric, d.pointwise)
        }
        let scale = fd.storage.max()!.squareRoot()
        var best = (iso: Double.infinity, haus: Double.infinity)
        for which in 0..<2 {
            for start in 0..<60 {
                var y = f.points
                let noise = scale * [0.0, 0.05, 0.2, 0.5][start % 4]
                for i in 0..<y.storage.count { y.storage[i] += noise * rng.normal() }
                y = f.repair(y).points
                guard var value = objectives(y).map({ which == 0 ? $0.0 : $0.1 }) else { continue }
                var step = scale * 0.2
                while step > scale * 1e-7 {
                    var improved = false
                    for i in 0..<y.storage.count {
                        for sign in [1.0, -1.0] {
                            var z = y
                            z.storage[i] += sign * step
                            if let o = objectives(z), (which == 0 ? o.0 : o.1) < value {
                                y = z; value = which == 0 ? o.0 : o.1; improved = true
                            }
                        }
                    }
                    if !improved { step /= 2 }
                }
                if which == 0 { best.iso = min(best.iso, value) } else { best.haus = min(best.haus, value) }
            }
        }
        return best
    }
}
