// The verdict rule: the cases the issue reported, invariance, the generated benchmark, bad input.
import Foundation
import Testing
import Linalg
@testable import Estimators
@testable import Isometry

@Suite struct VerdictTests {
    func report(_ x: Matrix<Double>, _ labels: [Int]) throws -> EstimatorReport {
        try EstimatorReport(points: x, labels: labels, options: EstimatorOptions(fStar: FStarOptions(iterations: 60)))
    }

    @Test func healthyEmbeddingStaysHealthyShiftedScaledOrRotated() throws {
        var rng = SeededRNG(seed: 1)
        let (x, labels) = VerdictBenchmark.healthy(160, 32, &rng)
        let base = try report(x, labels)
        #expect(base.verdict == .healthy && base.diagnosis.failures.isEmpty)
        var shifted = x, scaled = x
        for i in 0..<x.storage.count { shifted.storage[i] += 100; scaled.storage[i] *= 1e-3 }
        let rotated = x.matmul(VerdictBenchmark.randomRotation(32, &rng))
        for y in [shifted, scaled, rotated] {
            let r = try report(y, labels)
            #expect(r.verdict == .healthy, "reasons: \(r.diagnosis.reasons.map(\.code))")
            #expect(r.diagnosis.reasons.map(\.code) == base.diagnosis.reasons.map(\.code))
        }
    }

    @Test func tightSeparatedClassesAreHealthyBalancedOrNot() throws {
        var rng = SeededRNG(seed: 2)
        for sizes in [[40, 40, 40], [70, 20, 10]] {
            let labels = sizes.enumerated().flatMap { c, n in Array(repeating: c, count: n) }
            let centres = VerdictBenchmark.centres(3, dim: 16, radius: 1, rng: &rng)
            let x = VerdictBenchmark.clusters(labels, centres, sigma: 1e-4, rng: &rng)
            let r = try report(x, labels)
            #expect(r.lHard < 0 && r.dIso.upper == 0)
            #expect(r.verdict == .healthy, "\(sizes): \(r.diagnosis.reasons.map(\.code))")
            #expect(r.diagnosis.reasons.contains { $0.code == "triplet_separated" })
        }
    }

    @Test func everyFamilyOfTheBenchmarkIsRecognised() throws {
        let cases = try VerdictBenchmark.run(sizes: [96], dims: [8, 32], seeds: 1, iterations: 40)
        for family in VerdictBenchmark.families {
            let mine = cases.filter { $0.family == family.name }
            #expect(!mine.isEmpty)
            for c in mine {
                #expect(c.got == family.expected, "\(family.name) n=\(c.dim): \(c.got.rawValue) \(c.reasons)")
            }
        }
    }

    @Test func reasonsNameTheFailure() throws {
        var rng = SeededRNG(seed: 3)
        let collapsed = try report(VerdictBenchmark.families.first { $0.name == "one_point_on_sphere" }!.make(96, 8, &rng).0, (0..<96).map { $0 % 8 })
        #expect(collapsed.verdict == .collapsed && collapsed.diagnosis.failures.contains(.networkCollapse))
        #expect(collapsed.diagnosis.reasons.contains { $0.code == "spread_collapsed" && !$0.message.isEmpty })
        let (x, l) = VerdictBenchmark.lowRank(160, 16, rank: 1, &rng)
        let low = try report(x, l)
        #expect(low.verdict == .partial && low.diagnosis.failures.contains(.dimensionalCollapse))
    }

    @Test func badInputIsAClearErrorOrAFiniteAnswer() throws {
        #expect(throws: EstimatorError("labels: every class has a single point; a triplet needs an anchor with a positive of its class")) {
            try report(Matrix([[0.0], [1], [2], [3]]), [0, 1, 2, 3])
        }
        #expect(throws: EstimatorError("labels: a single class; triplet separation needs at least 2 classes")) {
            try report(Matrix([[0.0], [1], [2]]), [5, 5, 5])
        }
        #expect(throws: EstimatorError("embeddings: row 1, column 0 is 1e+200; values up to 1e150 in magnitude are supported")) {
            try report(Matrix([[0.0], [1e200], [2]]), [0, 0, 1])
        }
        // Identical points (rank 0): collapsed, every number finite.
        let same = try report(Matrix(Array(repeating: [0.5, -2.0], count: 6)), [0, 0, 0, 1, 1, 1])
        #expect(same.verdict == .collapsed && same.diagnosis.reasons.first?.code == "all_points_coincide")
        var rng = SeededRNG(seed: 4)
        let (x, labels) = VerdictBenchmark.healthy(64, 8, &rng)
        for scale in [1e-30, 1e30] {
            var y = x
            for i in 0..<y.storage.count { y.storage[i] *= scale }
            let r = try report(y, labels)
            #expect(r.verdict == .healthy)
            let text = String(decoding: try JSONEncoder().encode(r), as: UTF8.self)
            #expect(!text.contains("nan") && !text.contains("inf"))
        }
        for r in [same] {
            #expect(try JSONEncoder().encode(r).count > 0)
        }
    }
}

@Suite struct InitialisationVerdictTests {
    /// Retrieval at chance on an untrained network (a train run's step 0) is partial with its own
    /// reason; the same numbers after step 0 are collapsed. Other collapses still count at step 0.
    @Test func chanceRetrievalAtStepZeroIsNotACollapse() {
        var x = DiagnosisInputs(precisionAt1: 0.12, chancePrecisionAt1: 0.1, strictlySeparated: false, relativeHardestLoss: 0.5,
                                allCoincide: false, spreadRatio: 1, reference: .stepZero, effectiveRank: 1.9, dimension: 2, classes: 10)
        #expect(Diagnosis(x).verdict == .collapsed)
        #expect(Diagnosis(x).reasons.contains { $0.code == "retrieval_at_chance" })
        x.atInitialisation = true
        let initial = Diagnosis(x)
        #expect(initial.verdict == .partial)
        #expect(initial.reasons.map(\.code).contains("untrained_at_chance"))
        #expect(!initial.reasons.map(\.code).contains("retrieval_at_chance"))
        #expect(!initial.failures.contains(.lostClassStructure))
        x.allCoincide = true
        #expect(Diagnosis(x).verdict == .collapsed)
        x.allCoincide = false
        x.lossAtCollapsedValue = true
        x.activeFraction = 1
        x.atInitialisation = false
        x.precisionAt1 = 0.9
        // The loss at α with every triplet active but the spread intact is the loss passing through α: partial.
        #expect(Diagnosis(x).verdict == .partial)
        #expect(Diagnosis(x).reasons.contains { $0.code == "loss_at_collapsed_value" && $0.level == .partial })
        // With the spread shrunk too it is the collapsed fixed point, at step 0 as after it.
        x.spreadRatio = 0.2
        #expect(Diagnosis(x).verdict == .collapsed)
        x.atInitialisation = true
        #expect(Diagnosis(x).verdict == .collapsed, "a loss at its collapsed value with every triplet active and no spread is collapse even at step 0")
    }
}
