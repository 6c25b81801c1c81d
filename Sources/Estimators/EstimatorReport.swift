// The estimator block of a result: every quantity of the paper for one labelled embedding, with the
// probe subset used, the theorem checks and a verdict.
import Linalg

/// Settings of `EstimatorReport`.
public struct EstimatorOptions: Sendable, Equatable {
    /// Sets up to this size are analysed whole; larger ones through a probe of `probeSize`.
    public var maxExactPoints: Int
    /// Probe size for sets above `maxExactPoints`.
    public var probeSize: Int
    public var seed: UInt64
    public var fStar: FStarOptions
    /// Scale for the collapse ratios (nil: √2 × RMS norm; see `CollapseMetrics`).
    public var referenceScale: Double?

    public init(maxExactPoints: Int = 2000, probeSize: Int = 2000, seed: UInt64 = 0,
                fStar: FStarOptions = FStarOptions(), referenceScale: Double? = nil) {
        self.maxExactPoints = maxExactPoints
        self.probeSize = probeSize
        self.seed = seed
        self.fStar = fStar
        self.referenceScale = referenceScale
    }
}

/// Which points were analysed.
public struct ProbeInfo: Sendable, Codable, Equatable {
    /// Points analysed.
    public var size: Int
    /// Points in the set.
    public var of: Int
    /// Whether a seeded stratified subset was used (size < of).
    public var subset: Bool
    public var seed: UInt64
}

/// The points an estimator report was computed from: the analysed rows of f and the best f* found.
public struct FStarPoints: Sendable, Equatable {
    /// Rows of the input that were analysed (all of them, or the stratified probe).
    public var rows: [Int]
    public var labels: [Int]
    /// f on those rows.
    public var f: Matrix<Double>
    /// The certified f* with the smallest isometric error (its error is d_iso's upper bound).
    public var isometric: Matrix<Double>
    /// The certified f* closest to f pointwise (its distance is d_haus's upper bound).
    public var hausdorff: Matrix<Double>
}

/// Everything the estimators say about one labelled embedding (the `estimators` block of results).
public struct EstimatorReport: Sendable, Codable, Equatable {
    public struct Triplet: Sendable, Codable, Equatable { public var anchor, positive, negative: Int }

    public struct FStarSummary: Sendable, Codable, Equatable {
        /// Mean pairwise distance of f*_haus over that of f (the paper's "collapsed f*" signal when small).
        public var contraction: Double
        /// Effective rank of f*_haus's covariance spectrum.
        public var effectiveRank: Double
        /// max_i d_H(f(Xⁱ), f*(Xⁱ)) of f*_haus.
        public var classHausdorff: Double
        public var candidatesCertified: Int

        enum CodingKeys: String, CodingKey {
            case contraction
            case effectiveRank = "effective_rank"
            case classHausdorff = "class_hausdorff"
            case candidatesCertified = "candidates_certified"
        }
    }

    public struct ClassThickness: Sendable, Codable, Equatable {
        public var label: Int
        public var size: Int
        public var thickness: Thickness
    }

    public var probe: ProbeInfo
    public var lHard: Double
    public var hardestTriplet: Triplet
    public var separated: Bool
    public var dIso: Bracket
    public var dHaus: Bracket
    public var checks: TheoremChecks
    public var fStar: FStarSummary
    public var thickness: Thickness
    public var diameter: Double
    public var classThickness: [ClassThickness]
    public var collapse: CollapseMetrics
    public var verdict: VerdictLevel

    enum CodingKeys: String, CodingKey {
        case probe
        case lHard = "l_hard"
        case hardestTriplet = "hardest_triplet"
        case separated
        case dIso = "d_iso"
        case dHaus = "d_haus"
        case checks = "theorem_checks"
        case fStar = "f_star"
        case thickness, diameter
        case classThickness = "class_thickness"
        case collapse, verdict
    }

    /// Analyses `points` (N × n) with `labels`; probe indices refer to the rows given.
    public init(points: Matrix<Double>, labels: [Int], options: EstimatorOptions = EstimatorOptions()) throws {
        var unused: FStarPoints?
        try self.init(points: points, labels: labels, options: options, keeping: &unused)
    }

    /// The report and the points behind it (the analysed rows, f*_iso, f*_haus), for reports and artifacts.
    public static func withPoints(points: Matrix<Double>, labels: [Int], options: EstimatorOptions = EstimatorOptions()) throws -> (EstimatorReport, FStarPoints) {
        var kept: FStarPoints?
        let report = try EstimatorReport(points: points, labels: labels, options: options, keeping: &kept)
        return (report, kept!)
    }

    init(points: Matrix<Double>, labels: [Int], options: EstimatorOptions, keeping kept: inout FStarPoints?) throws {
        let all = try LabeledPoints(points: points, labels: labels)
        let wantsProbe = all.count > options.maxExactPoints
        if wantsProbe && options.probeSize > all.count {
            throw EstimatorError("probe size \(options.probeSize) is larger than the set (\(all.count) points)", option: "probe_size")
        }
        if wantsProbe && options.probeSize < 3 { throw EstimatorError("probe size \(options.probeSize): the estimators need at least 3 points", option: "probe_size") }
        let rows = wantsProbe ? stratifiedSample(labels: all.labels, size: options.probeSize, seed: options.seed) : Array(0..<all.count)
        let f = wantsProbe ? try LabeledPoints(points: points.rows(rows), labels: rows.map { labels[$0] }) : all
        probe = ProbeInfo(size: f.count, of: all.count, subset: f.count < all.count, seed: options.seed)

        let analysis = IsometryAnalysis(f, options: options.fStar)
        lHard = analysis.hardestLoss
        let t = analysis.hardestTriplet
        hardestTriplet = Triplet(anchor: rows[max(t.anchor, 0)], positive: rows[max(t.positive, 0)], negative: rows[max(t.negative, 0)])
        separated = analysis.separated
        // Subsets are named by the caller's rows, like the hardest triplet.
        func mapped(_ b: Bracket) -> Bracket {
            var out = b
            out.lowerBound?.points = b.lowerBound?.points.map { rows[$0] } ?? []
            return out
        }
        dIso = mapped(analysis.isometric)
        dHaus = mapped(analysis.hausdorff)
        checks = analysis.checks

        let fSquared = exactPairwiseSquaredDistances(f.points)
        collapse = CollapseMetrics(f.points, squaredDistances: fSquared, referenceScale: options.referenceScale)
        let fStarPoints = analysis.fStar.hausdorff.points
        let fStarSpread = CollapseMetrics(fStarPoints, squaredDistances: exactPairwiseSquaredDistances(fStarPoints)).meanPairwiseDistance
        fStar = FStarSummary(
            contraction: collapse.meanPairwiseDistance > 0 ? fStarSpread / collapse.meanPairwiseDistance : 1,
            effectiveRank: effectiveRank(fStarPoints), classHausdorff: analysis.classHausdorff,
            candidatesCertified: analysis.fStar.candidatesCertified)
        thickness = Thickness(f.points, seed: options.seed)
        diameter = thickness.diameter
        classThickness = f.classes.enumerated().map { c, members in
            ClassThickness(label: c, size: members.count, thickness: Thickness(f.points.rows(members), seed: options.seed))
        }
        verdict = EstimatorReport.verdict(collapse: collapse, contraction: fStar.contraction, lHard: lHard,
                                          classes: f.classes.count, dim: f.dimension)
        kept = FStarPoints(rows: rows, labels: rows.map { labels[$0] }, f: f.points, isometric: analysis.fStar.isometric.points,
                           hausdorff: analysis.fStar.hausdorff.points)
    }

    /// The verdict rule (documented in the README):
    /// collapsed when the mean pairwise distance is under 5 % of the reference scale or at least half
    /// of all pairs are near-duplicates; partial when it is under 30 %, or at least 10 % of pairs are
    /// near-duplicates, or L_hard > 0 and f*_haus keeps under half of f's spread, or the embedding is
    /// essentially one-dimensional (effective rank < 1.5 with n ≥ 2 and more than 2 classes); healthy otherwise.
    public static func verdict(collapse: CollapseMetrics, contraction: Double, lHard: Double, classes: Int, dim: Int) -> VerdictLevel {
        if collapse.meanRatio < 0.05 || collapse.nearDuplicateFraction >= 0.5 { return .collapsed }
        if collapse.meanRatio < 0.3 || collapse.nearDuplicateFraction >= 0.1 || (lHard > 0 && contraction < 0.5)
            || (dim >= 2 && classes > 2 && collapse.effectiveRank < 1.5) {
            return .partial
        }
        return .healthy
    }
}

/// healthy | partial | collapsed.
public enum VerdictLevel: String, Sendable, Codable, CaseIterable, Comparable {
    case healthy, partial, collapsed

    public static func < (a: VerdictLevel, b: VerdictLevel) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}
