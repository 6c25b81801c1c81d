// The verdict's rule on a small fixed probe, without the f* search: cheap enough to take at every
// signal record of a training run, so that a run's collapse step does not depend on how often it
// is evaluated (an evaluation every 100 steps would otherwise date a collapse up to 99 steps late).
import Isometry
import Linalg

/// κ, spread / α, the separated-anchor fraction and the verdict level of one probe embedding.
public struct ProbeVerdict: Sendable, Codable, Equatable {
    /// (P@1 − chance)/(1 − chance), leave-one-out 1-NN on the probe.
    public var kappa: Double
    /// Mean pairwise distance, and over α.
    public var meanPairwiseDistance: Double
    public var spreadOverMargin: Double
    /// Fraction of anchors with farthest positive ≤ nearest negative.
    public var separatedFraction: Double
    /// The verdict's rule on these (`Diagnosis`): collapsed, partial or healthy.
    public var verdict: VerdictLevel

    enum CodingKeys: String, CodingKey {
        case kappa
        case meanPairwiseDistance = "mean_pairwise_distance"
        case spreadOverMargin = "spread_over_margin"
        case separatedFraction = "separated_fraction"
        case verdict
    }

    /// Judges `points` (rows of a fixed probe) with `labels` against margin `margin` (distance units).
    /// `untrained` for a run's step 0; `reference` is the step-0 probe verdict of the same run, against
    /// which "still at chance" is judged, exactly as an evaluation judges it against step 0.
    /// Dimensional collapse (context, never `collapsed`) is not judged here: it needs an eigendecomposition
    /// of the embedding's covariance, which costs more than the rest.
    public init(points: Matrix<Double>, labels: [Int], margin: Double, untrained: Bool, reference: ProbeVerdict?) {
        let d2 = exactPairwiseSquaredDistances(points)
        let (precision, chance) = nearestNeighbourPrecision(squaredDistances: d2.storage, labels: labels)
        let spread = Linalg.meanPairwiseDistance(squaredDistances: d2)
        let (separated, marginMet) = SeparationReport.anchorFractions(LabeledPoints.separation(squaredDistances: d2, labels: labels).margins,
                                                                       margin: margin)
        var inputs = DiagnosisInputs(
            precisionAt1: precision, chancePrecisionAt1: chance, margin: margin, meanPairwiseDistance: spread,
            separatedFraction: separated, marginMetFraction: marginMet, allCoincide: spread == 0,
            referenceRatio: reference.map { $0.meanPairwiseDistance > 0 ? spread / $0.meanPairwiseDistance : 0 },
            reference: reference == nil ? .none : .stepZero, effectiveRank: 1, dimension: 1, classes: Set(labels).count, untrained: untrained)
        inputs.referenceKappa = reference?.kappa
        // The reference is this probe at step 0: the same rows.
        inputs.referenceRows = reference == nil ? nil : labels.count
        let diagnosis = Diagnosis(inputs)
        kappa = diagnosis.evidence.kappa
        meanPairwiseDistance = spread
        spreadOverMargin = diagnosis.evidence.spreadOverMargin
        separatedFraction = separated
        verdict = diagnosis.verdict
    }
}
