// The collapse verdict: one rule, invariant to translation, rotation and positive scaling, that says
// why (reasons) and which failure (network collapse, dimensional collapse, lost class structure).
import Isometry
import Foundation

/// The kinds of failure a verdict can name.
public enum FailureKind: String, Sendable, Codable, CaseIterable {
    /// The spread is gone relative to its reference (all points near one point), or the training loss
    /// sits at its collapsed value with every triplet active.
    case networkCollapse = "network_collapse"
    /// The points occupy few dimensions (low effective rank of the covariance spectrum) while classes overlap.
    case dimensionalCollapse = "dimensional_collapse"
    /// Retrieval is at or near chance: the classes are merged or mixed.
    case lostClassStructure = "lost_class_structure"
}

/// What the spread of an embedding is compared with.
public enum SpreadReference: String, Sendable, Codable {
    /// The same probe's mean pairwise distance at step 0 of the training run.
    case stepZero = "step_0"
    /// L2-normalised embeddings (every norm equal to r within 1e-5): √2·r, the distance of two orthogonal points of the sphere.
    case sphere
    /// A series step's baseline: the same probe's mean pairwise distance at the series' baseline step.
    case seriesBaseline = "series_baseline"
    /// The analyze job's `reference_scale`.
    case stated
    /// None available (unnormalised embeddings in an analyze job without `reference_scale`): the spread is not judged.
    case none
}

/// One reason of a verdict: a stable code, the level it argues for, and one sentence with the numbers.
public struct VerdictReason: Sendable, Codable, Equatable {
    public var code: String
    /// `healthy` for information that does not lower the verdict.
    public var level: VerdictLevel
    public var message: String
}

/// Everything the rule looks at; each input is invariant to translation, rotation and positive scaling.
public struct DiagnosisInputs: Sendable {
    /// Leave-one-out 1-NN precision of the labelled set, and its value for random labels of the same sizes.
    public var precisionAt1: Double
    public var chancePrecisionAt1: Double
    /// Whether the set is strictly triplet-separated (L_hard < 0).
    public var strictlySeparated: Bool
    /// L_hard over the RMS distance of the points to their centroid.
    public var relativeHardestLoss: Double
    /// Whether every point coincides (diameter 0).
    public var allCoincide: Bool
    /// Mean pairwise distance over the reference's (nil when there is no reference).
    public var spreadRatio: Double?
    public var reference: SpreadReference
    /// Effective rank of the covariance spectrum, the dimension and the number of classes.
    public var effectiveRank: Double
    public var dimension: Int
    public var classes: Int
    /// Mean pairwise distance of f*_haus over that of f (nil without estimators).
    public var fStarContraction: Double?
    /// Train runs: whether the mean loss sits at its collapsed value, and the active-triplet fraction.
    public var lossAtCollapsedValue: Bool?
    public var activeFraction: Double?
    /// Whether this is a train run's step 0, the untrained initialisation: retrieval at chance there
    /// is what an untrained network does, not a collapse (a run cannot collapse before it trains).
    public var atInitialisation = false

    public init(precisionAt1: Double, chancePrecisionAt1: Double, strictlySeparated: Bool, relativeHardestLoss: Double,
                allCoincide: Bool, spreadRatio: Double?, reference: SpreadReference, effectiveRank: Double,
                dimension: Int, classes: Int, fStarContraction: Double? = nil, lossAtCollapsedValue: Bool? = nil,
                activeFraction: Double? = nil) {
        self.precisionAt1 = precisionAt1
        self.chancePrecisionAt1 = chancePrecisionAt1
        self.strictlySeparated = strictlySeparated
        self.relativeHardestLoss = relativeHardestLoss
        self.allCoincide = allCoincide
        self.spreadRatio = spreadRatio
        self.reference = reference
        self.effectiveRank = effectiveRank
        self.dimension = dimension
        self.classes = classes
        self.fStarContraction = fStarContraction
        self.lossAtCollapsedValue = lossAtCollapsedValue
        self.activeFraction = activeFraction
    }

    /// Retrieval above chance on a 0–1 scale: (P@1 − chance)/(1 − chance), Cohen's κ for 1-NN.
    public var retrievalAboveChance: Double {
        chancePrecisionAt1 < 1 ? (precisionAt1 - chancePrecisionAt1) / (1 - chancePrecisionAt1) : 1
    }
}

/// The verdict with its reasons and the failures it names.
public struct Diagnosis: Sendable, Codable, Equatable {
    public var verdict: VerdictLevel
    public var failures: [FailureKind]
    public var reasons: [VerdictReason]
    public var reference: SpreadReference

    /// Thresholds of the rule (documented in the README).
    public static let collapsedSpread = 0.05, shrunkSpread = 0.3
    public static let chanceKappa = 0.2, overlapKappa = 0.7
    public static let lowRankFraction = 0.35, contracted = 0.5

    /// The rule:
    /// 1. every point coincides → collapsed (network collapse);
    /// 2. strictly triplet-separated → healthy, or partial when the spread is under 5 % of its reference
    ///    (a separated embedding is never collapsed: tight, separated classes are the goal);
    /// 3. otherwise collapsed when the spread is under 5 % of its reference, or the loss sits at its
    ///    collapsed value with ≥ 99 % of triplets active and the spread under 30 % of its reference
    ///    (network collapse; with the spread intact that is partial), or retrieval is at chance,
    ///    κ < 0.2 (lost class structure) — except at a train run's step 0, where chance retrieval is
    ///    the untrained network's and argues only for partial (`untrained_at_chance`);
    /// 4. otherwise partial when the spread is under 30 % of its reference, classes overlap (κ < 0.7),
    ///    the effective rank is under 35 % of min(n, classes − 1) (dimensional collapse), or f*_haus
    ///    keeps under half of f's spread;
    /// 5. otherwise healthy.
    public init(_ x: DiagnosisInputs) {
        reference = x.reference
        var reasons = [VerdictReason]()
        var failures = Set<FailureKind>()
        func add(_ code: String, _ level: VerdictLevel, _ failure: FailureKind?, _ message: String) {
            reasons.append(VerdictReason(code: code, level: level, message: message))
            if let failure, level > .healthy { failures.insert(failure) }
        }
        let kappa = x.retrievalAboveChance
        let p1 = String(format: "P@1 %.3f against %.3f for random labels (%.2f above chance on a 0–1 scale)", x.precisionAt1, x.chancePrecisionAt1, kappa)
        let referenceText: String
        switch x.reference {
        case .stepZero: referenceText = "its value at step 0"
        case .seriesBaseline: referenceText = "its value at the series' baseline step"
        case .sphere: referenceText = "√2 × the common norm (the embeddings are L2-normalised: the sphere is the reference)"
        case .stated: referenceText = "the stated reference_scale"
        case .none: referenceText = "nothing"
        }
        if x.allCoincide {
            add("all_points_coincide", .collapsed, .networkCollapse, "Every embedding is the same point.")
        } else {
            if x.strictlySeparated {
                add("triplet_separated", .healthy, nil, "Every anchor's farthest positive is closer than its nearest negative (L_hard < 0): the classes are triplet-separated, which is never a collapse.")
            }
            if let ratio = x.spreadRatio {
                if ratio < Diagnosis.collapsedSpread {
                    add("spread_collapsed", x.strictlySeparated ? .partial : .collapsed, .networkCollapse,
                        String(format: "The mean pairwise distance is %.3g of %@.", ratio, referenceText))
                } else if ratio < Diagnosis.shrunkSpread {
                    add("spread_shrunk", x.strictlySeparated ? .healthy : .partial, .networkCollapse,
                        String(format: "The mean pairwise distance is %.3g of %@.", ratio, referenceText))
                }
            } else {
                add("no_spread_reference", .healthy, nil, "The embeddings are not L2-normalised and no reference_scale was given, so the spread is not judged (the verdict is scale-invariant).")
            }
            if x.lossAtCollapsedValue == true, let active = x.activeFraction, active >= 0.99 {
                // At the collapsed fixed point every distance is 0, so the spread is gone too; a mean loss
                // equal to α while the spread is intact (≥ 30 % of its reference) is the loss passing
                // through that value (hardest positives as far as hardest negatives), which the
                // retrieval reasons judge, not network collapse.
                if let ratio = x.spreadRatio, ratio >= Diagnosis.shrunkSpread {
                    add("loss_at_collapsed_value", .partial, .networkCollapse,
                        String(format: "The training loss is at its collapsed value with %.1f %% of triplets active, but the spread is %.3g of %@: not the collapsed fixed point.", 100 * active, ratio, referenceText))
                } else {
                    add("loss_at_collapsed_value", x.strictlySeparated ? .partial : .collapsed, .networkCollapse,
                        String(format: "The training loss sits at its collapsed value with %.1f %% of triplets active.", 100 * active))
                }
            }
            if !x.strictlySeparated {
                if kappa < Diagnosis.chanceKappa && x.atInitialisation {
                    add("untrained_at_chance", .partial, nil,
                        p1 + ": the untrained network does not separate the classes yet (step 0 is not judged collapsed for it).")
                } else if kappa < Diagnosis.chanceKappa {
                    add("retrieval_at_chance", .collapsed, .lostClassStructure,
                        String(format: "%@; L_hard is %.2f × the RMS radius.", p1, x.relativeHardestLoss))
                } else if kappa < Diagnosis.overlapKappa {
                    add("classes_overlap", .partial, .lostClassStructure, p1 + ": classes are partly merged.")
                } else if failures.contains(.networkCollapse) {
                    add("ranking_intact", .healthy, nil, p1 + ": ranking survives (it is scale-free), but distances, thresholds and margins are no longer meaningful.")
                }
                let capacity = Double(min(x.dimension, max(x.classes - 1, 1)))
                if capacity >= 2 && x.effectiveRank < Diagnosis.lowRankFraction * capacity {
                    add("dimensional_collapse", .partial, .dimensionalCollapse,
                        String(format: "The effective rank of the covariance spectrum is %.2f, against min(n, classes − 1) = %.0f.", x.effectiveRank, capacity))
                }
                if let c = x.fStarContraction, c < Diagnosis.contracted {
                    add("f_star_contracting", .partial, .networkCollapse,
                        String(format: "The nearest triplet-separated embedding found keeps %.2f of the spread (the paper's sign of collapse under hard mining).", c))
                }
            }
        }
        let level = reasons.map(\.level).max() ?? .healthy
        if level == .healthy && !x.strictlySeparated && !x.allCoincide {
            reasons.append(VerdictReason(code: "classes_retrievable", level: .healthy, message: p1 + "."))
        }
        verdict = level
        self.failures = FailureKind.allCases.filter { failures.contains($0) }
        self.reasons = reasons
    }
}

/// 1-NN leave-one-out precision of a labelled set from its squared distances (ties to the lowest
/// index), and its expectation for random labels with the same class sizes; queries whose class has
/// no other member are left out of both, as in `RetrievalMetrics`.
public func nearestNeighbourPrecision(squaredDistances d2: [Double], labels: [Int]) -> (precision: Double, chance: Double) {
    let n = labels.count
    var counts = [Int: Int]()
    for l in labels { counts[l, default: 0] += 1 }
    var hits = 0, queries = 0
    for q in 0..<n where counts[labels[q]]! > 1 {
        queries += 1
        var best = -1
        var bestValue = Double.infinity
        for j in 0..<n where j != q && d2[q * n + j] < bestValue { bestValue = d2[q * n + j]; best = j }
        if best >= 0 && labels[best] == labels[q] { hits += 1 }
    }
    guard queries > 0 else { return (0, 0) }
    return (Double(hits) / Double(queries), chancePrecisionAtOne(labels: labels))
}

/// Chance-level P@1 of a label set: the mean over queries (classes with another member) of
/// (class size − 1)/(N − 1).
public func chancePrecisionAtOne(labels: [Int]) -> Double {
    var counts = [Int: Int]()
    for l in labels { counts[l, default: 0] += 1 }
    let n = labels.count
    var sum = 0.0, queries = 0
    for l in labels where counts[l]! > 1 { sum += Double(counts[l]! - 1) / Double(n - 1); queries += 1 }
    return queries > 0 ? sum / Double(queries) : 0
}
