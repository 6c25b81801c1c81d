// The estimators' first look at an embedding: everything the verdict's level rests on, before the f*
// search (which takes nearly all of the estimators' time and adds the certified brackets and context).
import Isometry
import Linalg

/// What a verdict rests on from the estimators, in the input's units: L_hard, the spread and rank, the
/// leave-one-out 1-NN precision of the analysed points and the anchors' separation, and (after the f*
/// search) f*'s contraction.
public struct VerdictBasis: Sendable, Equatable {
    public var lHard: Double
    public var collapse: CollapseMetrics
    public var precisionAt1: Double
    public var chancePrecisionAt1: Double
    public var separatedFraction: Double
    public var marginMetFraction: Double
    public var dimension: Int
    public var classCount: Int
    /// nil before the f* search.
    public var fStarContraction: Double?

    /// The diagnosis inputs of these figures alone (the probe, leave-one-out P@1), or, with the arguments,
    /// of a train record or an analysis (P@1 of the whole split or set, loss signals).
    public func inputs(precisionAt1 p1: Double? = nil, chance: Double? = nil, margin: Double, untrained: Bool, referenceKappa: Double? = nil,
                       referenceRows: Int? = nil, lossAtCollapsedValue: Bool? = nil, activeFraction: Double? = nil, classes: Int? = nil) -> DiagnosisInputs {
        var x = DiagnosisInputs(
            precisionAt1: p1 ?? precisionAt1, chancePrecisionAt1: chance ?? chancePrecisionAt1, margin: margin,
            meanPairwiseDistance: collapse.meanPairwiseDistance, separatedFraction: separatedFraction, marginMetFraction: marginMetFraction,
            hardestLoss: lHard, allCoincide: collapse.meanPairwiseDistance == 0, referenceRatio: collapse.meanRatio, reference: collapse.reference,
            effectiveRank: collapse.effectiveRank, dimension: dimension, classes: classes ?? classCount, fStarContraction: fStarContraction,
            lossAtCollapsedValue: lossAtCollapsedValue, activeFraction: activeFraction, untrained: untrained)
        // κ of the reference counts only when the reference is an untrained state.
        if collapse.reference == .stepZero || collapse.reference == .seriesBaseline { (x.referenceKappa, x.referenceRows) = (referenceKappa, referenceRows) }
        return x
    }
}

/// The part of the estimator block computed before the f* search: f's exact distances and separation,
/// the collapse metrics and the leave-one-out 1-NN precision. The verdict's level and headline depend
/// only on these (f*'s contraction is context), so a verdict read from them is the final one's unless
/// the f* search changes an input it does not have; `EstimatorReport.finishing(_:)` continues from here
/// without computing any of it again.
public struct QuickLook: Sendable {
    /// The analysed points scaled to unit magnitude (`unit` is the power of two they were divided by).
    let f: LabeledPoints
    let unit: Double
    /// The options in the scaled units, and as given.
    let options: EstimatorOptions
    let stated: EstimatorOptions
    /// The probe's labels as given, the rows of the set they are, and the set's size.
    let labels: [Int]
    let rows: [Int]
    let setSize: Int
    let prepared: IsometryAnalysis.Prepared
    /// In the scaled units.
    let collapse: CollapseMetrics
    let precisionAt1: Double
    let chancePrecisionAt1: Double
    let separatedFraction: Double
    let marginMetFraction: Double

    /// The first look at a probe chosen by the caller: `probe` holds the rows `rows` of a set of `setSize`
    /// points; `times` gets the seconds of each part.
    public init(probe given: Matrix<Double>, labels: [Int], rows: [Int], setSize: Int, options: EstimatorOptions = EstimatorOptions(),
                times: PartTimes? = nil) throws {
        let (probe, unit) = UnitScale.scaled(given)
        try self.init(f: try LabeledPoints(points: probe, labels: labels), unit: unit, stated: options, labels: labels, rows: rows,
                      setSize: setSize, times: times)
    }

    /// `f` holds the points already divided by `unit`.
    init(f: LabeledPoints, unit: Double, stated: EstimatorOptions, labels: [Int], rows: [Int], setSize: Int, times: PartTimes?) throws {
        self.f = f
        self.unit = unit
        self.stated = stated
        let options = UnitScale.options(stated, unit: unit)
        self.options = options
        self.labels = labels
        self.rows = rows
        self.setSize = setSize
        let prepared = IsometryAnalysis.Prepared(f, threads: options.fStar.threads, times: times)
        self.prepared = prepared
        let reference = options.referenceScale.map { ($0, options.referenceKind) }
        let points = f.points
        collapse = timed("collapse metrics", times) { CollapseMetrics(points, squaredDistances: prepared.squaredDistances, reference: reference) }
        (precisionAt1, chancePrecisionAt1) = nearestNeighbourPrecision(squaredDistances: prepared.squaredDistances.storage, labels: f.labels)
        (separatedFraction, marginMetFraction) = SeparationReport.anchorFractions(prepared.separation.margins, margin: options.margin)
    }

    /// The figures in the input's units.
    public var basis: VerdictBasis {
        VerdictBasis(lHard: prepared.separation.hardestLoss * unit, collapse: collapse.scaled(by: unit), precisionAt1: precisionAt1,
                     chancePrecisionAt1: chancePrecisionAt1, separatedFraction: separatedFraction, marginMetFraction: marginMetFraction,
                     dimension: f.dimension, classCount: f.classes.count)
    }
}

extension CollapseMetrics {
    /// The same metrics with every length × `unit` (ratios and fractions unchanged).
    func scaled(by unit: Double) -> CollapseMetrics {
        guard unit != 1 else { return self }
        var out = self
        out.meanPairwiseDistance *= unit
        out.medianPairwiseDistance *= unit
        out.rmsRadius *= unit
        out.referenceScale = out.referenceScale.map { $0 * unit }
        return out
    }
}
