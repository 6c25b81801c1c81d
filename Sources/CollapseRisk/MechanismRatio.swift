// The paper's mechanism as a measurement: hard mining drives a batch toward its nearest
// triplet-separated embedding, and the run collapses when that nearest one is the collapse. On one
// batch f_B this compares d_iso(f_B, C) — C the class-centroid collapse of f_B, itself separated —
// with the best certified d_iso(f_B, f*) over separated f* that keep at least half of f_B's spread.
import Isometry
import Linalg

/// d_iso to the class-centroid collapse against d_iso to the nearest non-collapsed separated f* found.
public struct MechanismRatio: Sendable, Codable, Equatable {
    /// sup over pairs |d_f − d_C|, C = every point at its class centroid: computed exactly (up to rounding).
    public var toCollapse: Double
    /// The smallest d_iso(f_B, f*) over the certified separated candidates f* with mean pairwise
    /// distance ≥ `minContraction` × f_B's; nil when the search found none.
    public var toSeparatedKeepingSpread: Double?
    /// toCollapse / toSeparatedKeepingSpread, at most `maxRatio` (f_B itself separated: the other
    /// distance is 0); 0 when no such f* was found.
    public var ratio: Double

    public static let minContraction = 0.5, maxRatio = 1000.0

    enum CodingKeys: String, CodingKey {
        case toCollapse = "d_iso_to_collapse"
        case toSeparatedKeepingSpread = "d_iso_to_separated_upper"
        case ratio
    }

    /// What the ratio proves and what it does not. `toSeparatedKeepingSpread` is an upper bound of
    /// inf { d_iso(f_B, f*) : f* separated, spread(f*) ≥ ½ spread(f_B) }: the candidate passed the exact
    /// separation check (`certifiesSeparation`, rounding allowed for), keeps the spread, and its d_iso is
    /// measured. So a ratio above 1 is certain — a non-collapsed separated embedding nearer than the
    /// collapse exists, and hard mining's nearest target is not the collapse. A ratio at or below 1 is
    /// evidence only: the collapse is at least as near as every non-collapsed f* the search found, not
    /// necessarily as every one that exists. The risk reads it as evidence, with the other features.
    public init(points: Matrix<Double>, labels: [Int], iterations: Int = 0) throws {
        let f = try LabeledPoints(points: points, labels: labels)
        let collapse = f.centroidCollapse(of: points)
        toCollapse = Discrepancy(f: f, fDistances: exactPairwiseSquaredDistances(points), candidate: collapse).isometric
        let result = f.searchFStar(options: FStarOptions(iterations: iterations, minContraction: MechanismRatio.minContraction))
        toSeparatedKeepingSpread = result.keepingSpread?.discrepancy.isometric
        if let u = toSeparatedKeepingSpread {
            ratio = u > 0 ? min(toCollapse / u, MechanismRatio.maxRatio) : (toCollapse > 0 ? MechanismRatio.maxRatio : 1)
        } else {
            ratio = 0
        }
    }
}
