// The verdict rule: the cases the issue reported, invariance, the generated benchmark, bad input.
import Foundation
import Testing
import Linalg
@testable import Estimators
@testable import Isometry

@Suite struct VerdictTests {
    func report(_ x: Matrix<Double>, _ labels: [Int], margin: Double = 0.2) throws -> EstimatorReport {
        try EstimatorReport(points: x, labels: labels, options: EstimatorOptions(fStar: FStarOptions(iterations: 60), margin: margin))
    }

    @Test func healthyEmbeddingStaysHealthyShiftedScaledOrRotated() throws {
        var rng = SeededRNG(seed: 1)
        let (x, labels) = VerdictBenchmark.healthy(160, 32, &rng)
        let base = try report(x, labels)
        #expect(base.verdict == .healthy && base.diagnosis.failures.isEmpty)
        var shifted = x, scaled = x
        for i in 0..<x.storage.count { shifted.storage[i] += 100; scaled.storage[i] *= 1e-3 }
        let rotated = x.matmul(VerdictBenchmark.randomRotation(32, &rng))
        // The margin is a length: scaled with the embedding (a run trained at that scale).
        for (y, margin) in [(shifted, 0.2), (scaled, 0.2e-3), (rotated, 0.2)] {
            let r = try report(y, labels, margin: margin)
            #expect(r.verdict == .healthy, "reasons: \(r.diagnosis.reasons.map(\.code))")
            #expect(r.diagnosis.reasons.map(\.code) == base.diagnosis.reasons.map(\.code))
        }
    }

    /// The sphere's spread is context: it never moves the level, and it is said only when the embeddings as
    /// given are not collapsed against α themselves (then their own reason says it).
    @Test func aCollapseOnTheSphereIsContextOnly() {
        var x = DiagnosisInputs(precisionAt1: 0.5, chancePrecisionAt1: 0.1, margin: 0.2, meanPairwiseDistance: 400, allCoincide: false,
                                effectiveRank: 2, dimension: 4, classes: 10)
        let asGiven = Diagnosis(x)
        x.sphereSpread = 0.01
        let hinted = Diagnosis(x)
        #expect(hinted.verdict == asGiven.verdict && hinted.headline == asGiven.headline)
        #expect(hinted.reasons.map(\.code) == asGiven.reasons.map(\.code) + [.collapsedOnTheSphere])
        #expect(hinted.reasons.last?.message.contains("0.05 α") == true, "\(hinted.reasons.last?.message ?? "")")
        x.sphereSpread = 0.06
        #expect(!Diagnosis(x).reasons.contains { $0.code == .collapsedOnTheSphere }, "0.3 α on the sphere: not collapsed there")
        x.sphereSpread = 0.01
        x.meanPairwiseDistance = 0.02
        #expect(!Diagnosis(x).reasons.contains { $0.code == .collapsedOnTheSphere }, "collapsed as given: said by its own reason")
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
            #expect(r.diagnosis.reasons.contains { $0.code == .tripletSeparated })
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
        #expect(collapsed.diagnosis.reasons.contains { $0.code == .distancesCollapsed && !$0.message.isEmpty })
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
        // Values near the ends of Double's range are analysed at unit scale and reported in their own units.
        let huge = try report(Matrix([[0.0], [1e200], [2]]), [0, 0, 1], margin: 1e199)
        #expect(huge.lHard.isFinite && huge.dIso.upper.isFinite && abs(huge.diameter - 1e200) < 1e186)
        // Identical points (rank 0): collapsed, every number finite.
        let same = try report(Matrix(Array(repeating: [0.5, -2.0], count: 6)), [0, 0, 0, 1, 1, 1])
        #expect(same.verdict == .collapsed && same.diagnosis.reasons.first?.code == .allPointsCoincide)
        var rng = SeededRNG(seed: 4)
        let (x, labels) = VerdictBenchmark.healthy(64, 8, &rng)
        for scale in [1e-30, 1e30, 1e-170, 1e140] {
            var y = x
            for i in 0..<y.storage.count { y.storage[i] *= scale }
            let r = try report(y, labels, margin: 0.2 * scale)
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
    /// Retrieval at chance on an untrained network (a train run's step 0, a series' baseline, a step
    /// submitted as untrained) is partial with its own reason; the same numbers after training are
    /// collapsed. Nothing untrained is ever called collapsed.
    @Test func chanceRetrievalOfAnUntrainedNetworkIsNotACollapse() {
        var x = DiagnosisInputs(precisionAt1: 0.12, chancePrecisionAt1: 0.1, margin: 0.2, meanPairwiseDistance: 1, allCoincide: false,
                                effectiveRank: 1.9, dimension: 2, classes: 10)
        #expect(Diagnosis(x).verdict == .collapsed)
        #expect(Diagnosis(x).headline == "collapsed (classes lost)")
        #expect(Diagnosis(x).reasons.contains { $0.code == .retrievalAtChance })
        x.untrained = true
        let initial = Diagnosis(x)
        #expect(initial.verdict == .partial && initial.headline == "partial (untrained)")
        #expect(initial.reasons.map(\.code).contains(.untrainedAtChance))
        #expect(!initial.reasons.map(\.code).contains(.retrievalAtChance))
        #expect(!initial.failures.contains(.lostClassStructure))
        x.allCoincide = true
        #expect(Diagnosis(x).verdict == .partial, "an untrained network is never collapsed")
        x.untrained = false
        #expect(Diagnosis(x).verdict == .collapsed && Diagnosis(x).headline == "collapsed (one point)")
    }

    /// Distances are judged against the margin; the loss at its collapsed value and the references are
    /// context, never the switch.
    @Test func distancesAreJudgedAgainstTheMargin() {
        var x = DiagnosisInputs(precisionAt1: 0.95, chancePrecisionAt1: 0.1, margin: 0.2, meanPairwiseDistance: 0.41, separatedFraction: 0.6,
                                allCoincide: false, referenceRatio: 0.29, reference: .sphere, effectiveRank: 8, dimension: 64, classes: 10,
                                lossAtCollapsedValue: true, activeFraction: 1)
        let healthy = Diagnosis(x)
        #expect(healthy.verdict == .healthy, "\(healthy.reasons.map(\.code))")
        #expect(healthy.reasons.contains { $0.code == .spreadBelowReference && $0.level == .healthy })
        #expect(healthy.reasons.contains { $0.code == .lossAtCollapsedValue && $0.level == .healthy })
        x.meanPairwiseDistance = 0.08  // 0.4 α
        #expect(Diagnosis(x).verdict == .partial && Diagnosis(x).headline == "partial (distances inside the margin)")
        x.meanPairwiseDistance = 0.02  // 0.1 α
        let collapsed = Diagnosis(x)
        #expect(collapsed.verdict == .collapsed && collapsed.headline == "collapsed (distances; ranking intact)")
        #expect(collapsed.reasons.contains { $0.code == .rankingIntact })
        x.separatedFraction = 1
        #expect(Diagnosis(x).verdict == .partial, "a triplet-separated embedding is never called collapsed")
        x.separatedFraction = 0.5
        x.precisionAt1 = 0.4
        #expect(Diagnosis(x).headline == "collapsed (distances)")
        x.precisionAt1 = 0.12
        #expect(Diagnosis(x).headline == "collapsed (classes lost; distances)")
        #expect(abs(Diagnosis(x).evidence.spreadOverMargin - 0.1) < 1e-12)
    }
}

@Suite struct StillAtChanceTests {
    /// A run still at chance where its untrained reference was at chance, its spread not contracted, has
    /// not learned yet: partial (`still_at_chance`), not collapsed. Contracted, it is a collapse.
    @Test func notYetTrainedIsNotACollapse() {
        var x = DiagnosisInputs(precisionAt1: 0.11, chancePrecisionAt1: 0.1, margin: 0.2, meanPairwiseDistance: 2, allCoincide: false,
                                referenceRatio: 0.93, reference: .stepZero, effectiveRank: 1.9, dimension: 2, classes: 10)
        #expect(Diagnosis(x).verdict == .collapsed, "without the reference's κ nothing says it was at chance")
        x.referenceKappa = 0.05
        let still = Diagnosis(x)
        #expect(still.verdict == .partial && still.headline == "partial (still at chance)", "\(still.reasons.map(\.code))")
        #expect(still.reasons.contains { $0.code == .stillAtChance })
        x.referenceRatio = 0.3
        #expect(Diagnosis(x).verdict == .collapsed && Diagnosis(x).headline == "collapsed (classes lost)")
        x.referenceRatio = 0.93
        x.referenceKappa = 0.6
        #expect(Diagnosis(x).verdict == .collapsed, "it had learned something at the reference and lost it")
    }

    /// The issue-25 case: a digits run at n = 2 whose untrained 192-row probe read κ = 0.23, just over the
    /// 0.2 cut, fell to κ 0.12 at step 1 with 0.65 of its spread (still 4 α) and read `collapsed (classes
    /// lost)` for nearly every miner. κ on 192 points has a standard error of about 0.037 there, so the
    /// reference was at chance as far as the probe can tell: still at chance. A reference clear of the
    /// noise (0.35), or one measured on many points, still makes the fall a loss of classes.
    @Test func aReferenceAtChanceWithinItsSamplingNoiseCountsAsAtChance() {
        let chance = 0.095
        var x = DiagnosisInputs(precisionAt1: chance + 0.12 * (1 - chance), chancePrecisionAt1: chance, margin: 0.2, meanPairwiseDistance: 0.8,
                                allCoincide: false, referenceRatio: 0.65, reference: .stepZero, effectiveRank: 1.9, dimension: 2, classes: 10)
        x.referenceKappa = 0.23
        #expect(Diagnosis(x).headline == "collapsed (classes lost)", "rows unknown: the reference is taken as exact")
        x.referenceRows = 192
        let se = DiagnosisInputs.kappaStandardError(kappa: 0.23, chance: chance, rows: 192)
        #expect(abs(se - (0.3015 * 0.6985 / 192).squareRoot() / 0.905) < 1e-3 && se > 0.035 && se < 0.038, "\(se)")
        #expect(abs(x.referenceChanceCut - (0.2 + 2 * se)) < 1e-12)
        let still = Diagnosis(x)
        #expect(still.headline == "partial (still at chance)", "\(still.reasons.map(\.message))")
        let reason = still.reasons.first { $0.code == .stillAtChance }
        #expect(reason?.message.contains("(κ = 0.23, at chance within its sampling noise: under 0.27), and the spread has not contracted") == true, "\(reason?.message ?? "")")
        x.referenceKappa = 0.35
        #expect(Diagnosis(x).headline == "collapsed (classes lost)", "a reference 4 standard errors over the cut had classes")
        x.referenceKappa = 0.23
        x.referenceRows = 100_000
        #expect(Diagnosis(x).headline == "collapsed (classes lost)", "on 100,000 points 0.23 is clear of chance")
        x.referenceRows = 192
        x.referenceRatio = 0.4
        #expect(Diagnosis(x).headline == "collapsed (classes lost)", "contracted to chance: a collapse, whatever the reference")
        // A reference measured on other classes (a monitor's training batch of 8 classes × 4: chance 3/31)
        // takes its own chance into its noise, not this embedding's.
        x.referenceRatio = 0.65
        x.referenceChance = 3.0 / 31
        x.referenceRows = 32
        #expect(abs(x.referenceChanceCut - (0.2 + 2 * DiagnosisInputs.kappaStandardError(kappa: 0.23, chance: 3.0 / 31, rows: 32))) < 1e-12)
        x.referenceChance = 0.5
        #expect(abs(x.referenceChanceCut - (0.2 + 2 * DiagnosisInputs.kappaStandardError(kappa: 0.23, chance: 0.5, rows: 32))) < 1e-12)
        #expect(x.referenceChanceCut != (0.2 + 2 * DiagnosisInputs.kappaStandardError(kappa: 0.23, chance: chance, rows: 32)))
        x.referenceChance = nil
        x.referenceRows = 192
        // Degenerate inputs give no allowance rather than a NaN.
        #expect(DiagnosisInputs.kappaStandardError(kappa: .nan, chance: chance, rows: 192) == 0)
        #expect(DiagnosisInputs.kappaStandardError(kappa: 0.3, chance: 1, rows: 192) == 0)
        #expect(DiagnosisInputs.kappaStandardError(kappa: 0.3, chance: chance, rows: 1) == 0)
    }
}

@Suite struct BrittlenessTests {
    /// The issue's case: 10 tight classes × 30 points in a spherical cap of R⁶⁴ (mean distance 0.28 of √2,
    /// 2α at α = 0.2) read healthy; one point per class pulled 45 % toward a neighbouring class, or every
    /// norm multiplied by 1 ± 2e-5 (no longer "on the sphere"), does not change that.
    @Test func onePointOrATinyNormChangeCannotFlipTheVerdict() throws {
        var rng = SeededRNG(seed: 64)
        let (x, labels) = VerdictBenchmark.cap(300, 64, spread: 0.28, &rng)
        func verdict(_ y: Matrix<Double>) throws -> Diagnosis {
            try EstimatorReport(points: y, labels: labels, options: EstimatorOptions(fStar: FStarOptions(iterations: 20), margin: 0.2)).diagnosis
        }
        let base = try verdict(x)
        #expect(base.verdict == .healthy, "\(base.reasons.map(\.code))")
        var moved = x
        for c in 0..<10 {
            let i = labels.firstIndex(of: c)!, j = labels.firstIndex(of: (c + 1) % 10)!
            for k in 0..<64 { moved[i, k] += 0.45 * (x[j, k] - x[i, k]) }
        }
        let m = try verdict(VerdictBenchmark.normalised(moved))
        #expect(m.verdict == .healthy, "\(m.reasons.map(\.code))")
        var perturbed = x
        for i in 0..<300 { let f = 1 + 2e-5 * (2 * rng.uniform() - 1); for k in 0..<64 { perturbed[i, k] *= f } }
        let p = try verdict(perturbed)
        #expect(p.verdict == .healthy && p.reference == .none && base.reference == .sphere)
        #expect(abs(p.evidence.spreadOverMargin - base.evidence.spreadOverMargin) < 1e-3 * base.evidence.spreadOverMargin)
    }
}
