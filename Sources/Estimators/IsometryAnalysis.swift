// The paper's quantities for one labelled embedding: L_hard, the certified d_iso and d_haus brackets,
// the theorem checks, and the shape of the best f*.
import Linalg

/// A certified interval `[lower, upper]` containing an unknown distance.
public struct Bracket: Sendable, Codable, Equatable {
    public var lower: Double
    public var upper: Double
    /// upper / lower (nil when lower is 0).
    public var ratio: Double? { lower > 0 ? upper / lower : nil }

    public init(lower: Double, upper: Double) {
        self.lower = lower
        self.upper = upper
    }

    enum CodingKeys: String, CodingKey { case lower, upper, ratio }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        lower = try c.decode(Double.self, forKey: .lower)
        upper = try c.decode(Double.self, forKey: .upper)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(lower, forKey: .lower)
        try c.encode(upper, forKey: .upper)
        try c.encodeIfPresent(ratio, forKey: .ratio)
    }
}

/// The checks reported on every run.
public struct TheoremChecks: Sendable, Codable, Equatable {
    /// Theorem 3 of the paper: d_iso.upper ≤ 2·L_hard (evaluated on our bound, never assumed).
    public var theorem3Holds: Bool
    /// 2·L_hard − d_iso.upper (negative when violated).
    public var theorem3Margin: Double
    public var isometricBracketOrdered: Bool
    public var hausdorffBracketOrdered: Bool
    /// d_iso(f, f*) ≤ 2·sup‖f − f*‖ for the same f* (the d_haus-best one): the triangle inequality.
    public var isometricWithinTwiceHausdorff: Bool

    enum CodingKeys: String, CodingKey {
        case theorem3Holds = "theorem3_holds"
        case theorem3Margin = "theorem3_margin"
        case isometricBracketOrdered = "d_iso_bracket_ordered"
        case hausdorffBracketOrdered = "d_haus_bracket_ordered"
        case isometricWithinTwiceHausdorff = "d_iso_within_twice_d_haus"
    }
}

/// L_hard, the d_iso and d_haus brackets and the best f* of a labelled embedding.
public struct IsometryAnalysis: Sendable {
    /// L_hard = max_a g(a) (may be negative: the set is then strictly separated).
    public var hardestLoss: Double
    public var hardestTriplet: (anchor: Int, positive: Int, negative: Int)
    public var separated: Bool
    public var isometric: Bracket
    public var hausdorff: Bracket
    /// Class-set Hausdorff distance max_i d_H(f(Xⁱ), f*(Xⁱ)) of the d_haus-best f*.
    public var classHausdorff: Double
    public var checks: TheoremChecks
    /// The best candidates (their points are f*_iso and f*_haus).
    public var fStar: FStarResult

    /// Runs the separation check and the f* search.
    public init(_ f: LabeledPoints, options: FStarOptions = FStarOptions()) {
        let separation = f.separation()
        let result = FStarSolver.solve(f, options: options)
        let lHard = separation.hardestLoss
        let positive = max(0, lHard)
        hardestLoss = lHard
        hardestTriplet = separation.hardestTriplet
        separated = separation.isSeparated
        isometric = Bracket(lower: positive / 2, upper: result.isometric.discrepancy.isometric)
        hausdorff = Bracket(lower: positive / 4, upper: result.hausdorff.discrepancy.pointwise)
        classHausdorff = result.hausdorff.discrepancy.classHausdorff
        let tolerance = 1e-12 * max(1, isometric.upper)
        checks = TheoremChecks(
            theorem3Holds: isometric.upper <= 2 * positive + tolerance,
            theorem3Margin: 2 * positive - isometric.upper,
            isometricBracketOrdered: isometric.lower <= isometric.upper + tolerance,
            hausdorffBracketOrdered: hausdorff.lower <= hausdorff.upper + tolerance,
            isometricWithinTwiceHausdorff: result.hausdorff.discrepancy.isometric <= 2 * hausdorff.upper + tolerance)
        fStar = result
    }
}
