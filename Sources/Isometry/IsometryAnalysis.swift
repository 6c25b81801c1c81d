// The paper's quantities for one labelled embedding: L_hard, the certified d_iso and d_haus brackets,
// the theorem checks, and the shape of the best f*.
import Linalg

/// A certified interval `[lower, upper]` containing an unknown distance.
public struct Bracket: Sendable, Codable, Equatable {
    public var lower: Double
    public var upper: Double
    /// The rule and the subset of points that prove `lower` (nil when not recorded).
    public var lowerBound: LowerBound?
    /// upper / lower (nil when lower is 0).
    public var ratio: Double? { lower > 0 ? upper / lower : nil }

    public init(lower: Double, upper: Double, lowerBound: LowerBound? = nil) {
        self.lower = lower
        self.upper = upper
        self.lowerBound = lowerBound
    }

    enum CodingKeys: String, CodingKey {
        case lower, upper, ratio
        case lowerRule = "lower_rule"
        case lowerPoints = "lower_points"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        lower = try c.decode(Double.self, forKey: .lower)
        upper = try c.decode(Double.self, forKey: .upper)
        if let rule = try c.decodeIfPresent(LowerBoundRule.self, forKey: .lowerRule) {
            lowerBound = LowerBound(value: lower, rule: rule, points: try c.decodeIfPresent([Int].self, forKey: .lowerPoints) ?? [])
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(lower, forKey: .lower)
        try c.encode(upper, forKey: .upper)
        try c.encodeIfPresent(ratio, forKey: .ratio)
        try c.encodeIfPresent(lowerBound?.rule, forKey: .lowerRule)
        try c.encodeIfPresent(lowerBound?.points, forKey: .lowerPoints)
    }
}

/// The outcome of a check of a claim against certified brackets.
public enum CheckOutcome: String, Sendable, Codable {
    /// Certified: the claim holds for the true value.
    case holds
    /// The bracket straddles the claim's threshold: neither proven nor refuted.
    case inconclusive
    /// Certified: the claim fails for the true value.
    case violated
}

/// The checks reported on every run.
public struct TheoremChecks: Sendable, Codable, Equatable {
    /// Theorem 3 of the paper, d_iso ≤ 2·L_hard (L_hard taken as max(0, L_hard)), never assumed:
    /// `holds` when d_iso.upper ≤ 2·L_hard, `violated` when d_iso.lower > 2·L_hard, else `inconclusive`.
    public var theorem3: CheckOutcome
    /// 2·L_hard − d_iso.upper (negative when our upper bound is above the theorem's).
    public var theorem3Margin: Double
    /// Consistency of the two independent proofs (lower ≤ upper); false only through a defect.
    public var isometricBracketOrdered: Bool
    public var hausdorffBracketOrdered: Bool

    enum CodingKeys: String, CodingKey {
        case theorem3
        case theorem3Margin = "theorem3_margin"
        case isometricBracketOrdered = "d_iso_bracket_ordered"
        case hausdorffBracketOrdered = "d_haus_bracket_ordered"
    }

    /// The checks for these brackets and L_hard.
    public init(isometric: Bracket, hausdorff: Bracket, hardestLoss: Double) {
        let bound = 2 * max(0, hardestLoss)
        theorem3 = isometric.upper <= bound ? .holds : isometric.lower > bound ? .violated : .inconclusive
        theorem3Margin = bound - isometric.upper
        isometricBracketOrdered = isometric.lower <= isometric.upper
        hausdorffBracketOrdered = hausdorff.lower <= hausdorff.upper
    }
}

/// L_hard, the d_iso and d_haus brackets and the best f* of a labelled embedding.
public struct IsometryAnalysis: Sendable {
    /// L_hard = max_a g(a) (may be negative: the set is then strictly separated).
    public var hardestLoss: Double
    public var hardestTriplet: (anchor: Int, positive: Int, negative: Int)
    public var separated: Bool
    /// g(a) = farthest positive − nearest negative per anchor (nil for a point without a positive or a negative).
    public var anchorMargins: [Double?]
    public var isometric: Bracket
    public var hausdorff: Bracket
    /// Class-set Hausdorff distance max_i d_H(f(Xⁱ), f*(Xⁱ)) of the d_haus-best f*.
    public var classHausdorff: Double
    public var checks: TheoremChecks
    /// The best candidates (their points are f*_iso and f*_haus).
    public var fStar: FStarResult

    /// f's exact squared distances (N × N), computed once here for every part that needs them.
    public var squaredDistances: Matrix<Double>

    /// What the analysis computes before its f* search: f's exact squared distances and its separation
    /// (L_hard, g(a) per anchor). A caller that reads a provisional verdict from them hands them back to
    /// `init(_:prepared:options:times:)`, so nothing is computed twice.
    public struct Prepared: Sendable {
        public let squaredDistances: Matrix<Double>
        public let separation: SeparationReport

        /// f's exact distances and separation; `times` gets their seconds.
        public init(_ f: LabeledPoints, threads: Int = 1, times: PartTimes? = nil) {
            let d2 = timed("exact distances", times) { exactPairwiseSquaredDistances(f.points, threads: threads) }
            squaredDistances = d2
            separation = timed("separation", times) { LabeledPoints.separation(squaredDistances: d2, labels: f.labels) }
        }
    }

    /// Runs the separation check, the subset lower bounds and the f* search; `times` gets each part's seconds.
    /// `prepared` (f's distances and separation, computed for these points) skips their computation.
    public init(_ f: LabeledPoints, prepared given: Prepared? = nil, options: FStarOptions = FStarOptions(), times: PartTimes? = nil) {
        let prepared = given ?? Prepared(f, threads: options.threads, times: times)
        let d2 = prepared.squaredDistances, separation = prepared.separation
        let bounds = timed("subset bounds", times) { SubsetBounds(f, squaredDistances: d2, separation: separation) }
        let result = FStarSolver.solve(f, squaredDistances: d2, options: options, times: times)
        squaredDistances = d2
        hardestLoss = separation.hardestLoss
        hardestTriplet = separation.hardestTriplet
        separated = separation.isSeparated
        anchorMargins = separation.margins
        // Upper bounds are the measured discrepancies of certified candidates, raised by the rounding
        // allowance of the distances they were computed from (0 stays 0: f* = f is exact).
        let scale = (d2.storage.max() ?? 0).squareRoot() + max(result.isometric.discrepancy.isometric, result.hausdorff.discrepancy.pointwise)
        let slack = 256 * Double.ulpOfOne * Double(f.dimension + 3) * scale
        func raised(_ x: Double) -> Double { x > 0 ? x + slack : 0 }
        isometric = Bracket(lower: bounds.isometric.value, upper: raised(result.isometric.discrepancy.isometric), lowerBound: bounds.isometric)
        hausdorff = Bracket(lower: bounds.hausdorff.value, upper: raised(result.hausdorff.discrepancy.pointwise), lowerBound: bounds.hausdorff)
        classHausdorff = result.hausdorff.discrepancy.classHausdorff
        checks = TheoremChecks(isometric: isometric, hausdorff: hausdorff, hardestLoss: hardestLoss)
        fStar = result
    }
}
