// The estimator block of a result: every quantity of the paper for one labelled embedding, with the
// probe subset used, the theorem checks and a verdict.
import Isometry
import Linalg

/// Settings of `EstimatorReport`.
public struct EstimatorOptions: Sendable, Equatable {
    /// Sets up to this size are analysed whole; larger ones through a probe of `probeSize`.
    public var maxExactPoints: Int
    /// Probe size for sets above `maxExactPoints`.
    public var probeSize: Int
    public var seed: UInt64
    public var fStar: FStarOptions
    /// Distance the spread is compared with (nil: the sphere for L2-normalised points, else none; see `CollapseMetrics`).
    public var referenceScale: Double?
    /// Where `referenceScale` comes from (`stated` for an analyze job's option, `stepZero` in train runs).
    public var referenceKind: SpreadReference
    /// The margin α the distances are judged against, in the points' units (> 0).
    public var margin: Double
    /// Whether the points are an untrained network's (judged as a train run's step 0).
    public var untrained: Bool
    /// κ of the untrained reference (step 0, a series' baseline) when `referenceScale` is its spread, and
    /// how many points it was measured on (its sampling noise; nil: taken as exact).
    public var referenceKappa: Double?
    public var referenceRows: Int?

    public init(maxExactPoints: Int = 2000, probeSize: Int = 2000, seed: UInt64 = 0,
                fStar: FStarOptions = FStarOptions(), referenceScale: Double? = nil, referenceKind: SpreadReference = .stated,
                margin: Double = 0.2, untrained: Bool = false) {
        self.maxExactPoints = maxExactPoints
        self.probeSize = probeSize
        self.seed = seed
        self.fStar = fStar
        self.referenceScale = referenceScale
        self.referenceKind = referenceKind
        self.margin = margin
        self.untrained = untrained
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
    /// Dimension n of the embedding.
    public var dimension: Int
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
    /// Leave-one-out 1-NN precision on the analysed points, and its value for random labels.
    public var precisionAt1: Double
    public var chancePrecisionAt1: Double
    /// Fraction of anchors (points with a positive and a negative in the probe) that are triplet-separated,
    /// g(a) ≤ 0, and that meet the margin, g(a) + α ≤ 0: continuous, so one moved point moves them by 1/N.
    public var separatedFraction: Double
    public var marginMetFraction: Double
    /// Classes in the probe.
    public var classCount: Int
    /// The verdict of these points alone, with its reasons (a train record adds its own signals).
    public var diagnosis: Diagnosis
    public var verdict: VerdictLevel

    enum CodingKeys: String, CodingKey {
        case probe, dimension
        case lHard = "l_hard"
        case hardestTriplet = "hardest_triplet"
        case separated
        case dIso = "d_iso"
        case dHaus = "d_haus"
        case checks = "theorem_checks"
        case fStar = "f_star"
        case thickness, diameter
        case classThickness = "class_thickness"
        case collapse, diagnosis, verdict
        case precisionAt1 = "precision_at_1"
        case chancePrecisionAt1 = "chance_precision_at_1"
        case separatedFraction = "separated_fraction"
        case marginMetFraction = "margin_met_fraction"
        case classCount = "classes"
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

    /// The report of a probe chosen by the caller: `probe` holds the rows `rows` of a set of `setSize`
    /// points (the caller converts only those rows to Double); indices in the report refer to the set.
    /// `times` gets the seconds of each part (exact distances, separation, subset bounds, each f* start, …).
    public static func withPoints(probe: Matrix<Double>, labels: [Int], rows: [Int], setSize: Int,
                                  options: EstimatorOptions = EstimatorOptions(), times: PartTimes? = nil) throws -> (EstimatorReport, FStarPoints) {
        try finishing(try QuickLook(probe: probe, labels: labels, rows: rows, setSize: setSize, options: options, times: times), times: times)
    }

    /// The report that continues `quick` with the f* search (nothing `quick` holds is computed again).
    public static func finishing(_ quick: QuickLook, times: PartTimes? = nil) throws -> (EstimatorReport, FStarPoints) {
        var kept: FStarPoints?
        var report = try EstimatorReport(quick: quick, keeping: &kept, times: times)
        report.rescale(by: quick.unit, options: quick.stated)
        return (report, kept!.scaled(by: quick.unit))
    }

    init(points given: Matrix<Double>, labels: [Int], options stated: EstimatorOptions, keeping kept: inout FStarPoints?) throws {
        // Everything is computed on the points scaled by a power of two to unit magnitude (exact, so the
        // numbers are those of the input for any ordinary scale) and stated in the input's units: a set
        // scaled by 1e-170 or 1e140 neither underflows nor overflows on the way (squared distances would).
        let (points, unit) = UnitScale.scaled(given)
        let options = UnitScale.options(stated, unit: unit)
        let all = try LabeledPoints(points: points, labels: labels)
        let wantsProbe = all.count > options.maxExactPoints
        if wantsProbe && options.probeSize > all.count {
            throw EstimatorError("probe size \(options.probeSize) is larger than the set (\(all.count) points)", option: "probe_size")
        }
        if wantsProbe && options.probeSize < 3 { throw EstimatorError("probe size \(options.probeSize): the estimators need at least 3 points", option: "probe_size") }
        let rows = wantsProbe ? stratifiedSample(labels: all.labels, size: options.probeSize, seed: options.seed) : Array(0..<all.count)
        let f = wantsProbe ? try LabeledPoints(points: points.rows(rows), labels: rows.map { labels[$0] }) : all
        let quick = try QuickLook(f: f, unit: unit, stated: stated, labels: rows.map { labels[$0] }, rows: rows, setSize: all.count, times: nil)
        try self.init(quick: quick, keeping: &kept)
        rescale(by: unit, options: stated)
        kept = kept?.scaled(by: unit)
    }

    /// The report in `quick`'s scaled units (`rescale(by:options:)` states it in the input's).
    init(quick: QuickLook, keeping kept: inout FStarPoints?, times: PartTimes? = nil) throws {
        let f = quick.f, rows = quick.rows, options = quick.options
        probe = ProbeInfo(size: f.count, of: quick.setSize, subset: f.count < quick.setSize, seed: options.seed)
        dimension = f.dimension

        let analysis = IsometryAnalysis(f, prepared: quick.prepared, options: options.fStar, times: times)
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

        let fSquared = analysis.squaredDistances
        collapse = quick.collapse
        (precisionAt1, chancePrecisionAt1) = (quick.precisionAt1, quick.chancePrecisionAt1)
        fStar = timed("f* summary", times) {
            let fStarPoints = analysis.fStar.hausdorff.points
            // Both spreads by the same routine, so f* = f has a contraction of exactly 1.
            let fStarSpread = analysis.fStar.hausdorff.meanPairwiseDistance, fSpread = meanPairwiseDistance(squaredDistances: fSquared)
            return FStarSummary(
                contraction: fSpread > 0 ? fStarSpread / fSpread : 1,
                effectiveRank: effectiveRank(fStarPoints), classHausdorff: analysis.classHausdorff,
                candidatesCertified: analysis.fStar.candidatesCertified)
        }
        let thickness = timed("thickness", times) { Thickness(f.points, squaredDistances: fSquared, frame: analysis.fStar.frame, seed: options.seed) }
        self.thickness = thickness
        diameter = thickness.diameter
        classThickness = timed("class thickness", times) {
            f.classes.enumerated().map { c, members in
                ClassThickness(label: c, size: members.count, thickness: Thickness(f.points.rows(members), seed: options.seed))
            }
        }
        (separatedFraction, marginMetFraction) = (quick.separatedFraction, quick.marginMetFraction)
        classCount = f.classes.count
        // Set in the input's units by `rescale(by:options:)`.
        diagnosis = Diagnosis(DiagnosisInputs(precisionAt1: 0, chancePrecisionAt1: 0, margin: 1, meanPairwiseDistance: 0, allCoincide: true,
                                              effectiveRank: 0, dimension: 1, classes: 2))
        verdict = diagnosis.verdict
        kept = FStarPoints(rows: rows, labels: quick.labels, f: f.points, isometric: analysis.fStar.isometric.points,
                           hausdorff: analysis.fStar.hausdorff.points)
    }

    /// The inputs of this report's own diagnosis (the probe alone, leave-one-out P@1), or, with the
    /// arguments, a train record's or an analysis' (P@1 of the whole split or set, loss signals).
    public func inputs(precisionAt1: Double? = nil, chance: Double? = nil, margin: Double, untrained: Bool, referenceKappa: Double? = nil,
                       referenceRows: Int? = nil, lossAtCollapsedValue: Bool? = nil, activeFraction: Double? = nil, classes: Int? = nil) -> DiagnosisInputs {
        basis.inputs(precisionAt1: precisionAt1, chance: chance, margin: margin, untrained: untrained, referenceKappa: referenceKappa, referenceRows: referenceRows,
                     lossAtCollapsedValue: lossAtCollapsedValue, activeFraction: activeFraction, classes: classes)
    }

    /// The figures the verdict rests on.
    public var basis: VerdictBasis {
        VerdictBasis(lHard: lHard, collapse: collapse, precisionAt1: precisionAt1, chancePrecisionAt1: chancePrecisionAt1,
                     separatedFraction: separatedFraction, marginMetFraction: marginMetFraction, dimension: dimension,
                     classCount: classCount, fStarContraction: fStar.contraction)
    }
}

/// healthy | partial | collapsed.
public enum VerdictLevel: String, Sendable, Codable, CaseIterable, Comparable {
    case healthy, partial, collapsed

    public static func < (a: VerdictLevel, b: VerdictLevel) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}
