// The collapse verdict: one rule, invariant to translation, rotation and positive scaling, that says
// why (reasons) and which failure (network collapse, dimensional collapse, lost class structure).
import Isometry
import Foundation

/// The kinds of failure a verdict can name.
public enum FailureKind: String, Sendable, Codable, CaseIterable {
    /// Distances have collapsed against the margin α (every distance well inside it: the loss's collapsed
    /// fixed point), or are on their way there.
    case networkCollapse = "network_collapse"
    /// The points occupy few dimensions (low effective rank of the covariance spectrum) while classes overlap.
    case dimensionalCollapse = "dimensional_collapse"
    /// Retrieval is at or near chance: the classes are merged or mixed.
    case lostClassStructure = "lost_class_structure"
}

/// What the spread is also compared with, as context (the verdict judges it against the margin α).
public enum SpreadReference: String, Sendable, Codable {
    /// The same probe's mean pairwise distance at step 0 of the training run.
    case stepZero = "step_0"
    /// L2-normalised embeddings (every norm equal to r within 1e-5): √2·r, the distance of two orthogonal points of the sphere.
    case sphere
    /// A series step's baseline: the same probe's mean pairwise distance at the series' baseline step.
    case seriesBaseline = "series_baseline"
    /// A step of a monitored series whose monitor recorded training batches before its first checkpoint
    /// (a trained baseline): the monitor's batch spread at the step over that of its first batch (the
    /// untrained network's), on the run's training batches rather than the checkpoint's points.
    case monitorBatches = "monitor_batches"
    /// The analyze job's `reference_scale`.
    case stated
    /// None (unnormalised embeddings in an analyze job without `reference_scale` or series).
    case none
}

/// One reason of a verdict: a stable code, the level it argues for, and one sentence with the numbers.
/// The stable code of a verdict's reason (its JSON and webhook spelling is the raw value).
public enum VerdictCode: String, Sendable, Codable, CaseIterable {
    case allPointsCoincide = "all_points_coincide"
    case tripletSeparated = "triplet_separated"
    case untrainedAtChance = "untrained_at_chance"
    case stillAtChance = "still_at_chance"
    case retrievalAtChance = "retrieval_at_chance"
    case classesOverlap = "classes_overlap"
    case distancesCollapsed = "distances_collapsed"
    case distancesInsideMargin = "distances_inside_margin"
    case rankingIntact = "ranking_intact"
    case dimensionalCollapse = "dimensional_collapse"
    case spreadBelowReference = "spread_below_reference"
    /// Context: the embeddings, L2-normalised, have collapsed against the margin though they have not as given
    /// (a loss that normalises them, PML's default distance, sees the collapse; `normalize` judges them so).
    case collapsedOnTheSphere = "collapsed_on_the_sphere"
    case lossAtCollapsedValue = "loss_at_collapsed_value"
    case fStarContracting = "f_star_contracting"
    case classesRetrievable = "classes_retrievable"
}

public struct VerdictReason: Sendable, Codable, Equatable {
    public var code: VerdictCode
    /// `healthy` for information that does not lower the verdict.
    public var level: VerdictLevel
    public var message: String
}

/// Everything the rule looks at. Each input is invariant to translation, rotation and positive scaling
/// of the embedding together with its margin.
public struct DiagnosisInputs: Sendable {
    /// P@1 (the whole split or set) and its value for random labels of the same class sizes.
    public var precisionAt1: Double
    public var chancePrecisionAt1: Double
    /// The margin α in distance units (√α for a loss on squared distances); > 0.
    public var margin: Double
    /// Mean pairwise distance of the embedding (the probe, or the whole split without estimators).
    public var meanPairwiseDistance: Double
    /// Fraction of anchors that are triplet-separated (g(a) ≤ 0) and that meet the margin
    /// (g(a) + α ≤ 0); nil without the estimators.
    public var separatedFraction: Double?
    public var marginMetFraction: Double?
    /// L_hard (nil without the estimators).
    public var hardestLoss: Double?
    /// Whether every point coincides (diameter 0).
    public var allCoincide: Bool
    /// The spread over a reference (step 0, the sphere, a series' baseline, `reference_scale`): context only.
    public var referenceRatio: Double?
    public var reference: SpreadReference
    /// Effective rank of the covariance spectrum, the dimension and the number of classes.
    public var effectiveRank: Double
    public var dimension: Int
    public var classes: Int
    /// Mean pairwise distance of f*_haus over that of f (nil without estimators): context only.
    public var fStarContraction: Double?
    /// Train runs: whether the mean loss sits at its collapsed value, and the active-triplet fraction: context only.
    public var lossAtCollapsedValue: Bool?
    public var activeFraction: Double?
    /// Whether the embedding is an untrained network's (a train run's step 0, a series' baseline step, a
    /// step submitted as untrained): nothing has trained yet, so nothing can have collapsed.
    public var untrained = false
    /// κ of the untrained reference the spread ratio is taken against (a train run's step 0, a series'
    /// baseline step); nil when the reference is not an untrained state.
    public var referenceKappa: Double?
    /// How many points `referenceKappa` was measured on (its sampling noise: a 192-row probe's κ moves by
    /// about 0.04 from one draw to another); nil takes it as exact.
    public var referenceRows: Int?
    /// The chance P@1 of the points `referenceKappa` was measured on, when they are not these points'
    /// classes (a monitor's training batch: K of B points share a class); nil takes this embedding's.
    public var referenceChance: Double?
    /// Mean pairwise distance of the embeddings L2-normalised (an analysis not asked to normalise them):
    /// what a loss that normalises them measures. Context only; nil when not read.
    public var sphereSpread: Double?

    public init(precisionAt1: Double, chancePrecisionAt1: Double, margin: Double, meanPairwiseDistance: Double,
                separatedFraction: Double? = nil, marginMetFraction: Double? = nil, hardestLoss: Double? = nil,
                allCoincide: Bool, referenceRatio: Double? = nil, reference: SpreadReference = .none, effectiveRank: Double,
                dimension: Int, classes: Int, fStarContraction: Double? = nil, lossAtCollapsedValue: Bool? = nil,
                activeFraction: Double? = nil, untrained: Bool = false) {
        self.precisionAt1 = precisionAt1
        self.chancePrecisionAt1 = chancePrecisionAt1
        self.margin = margin
        self.meanPairwiseDistance = meanPairwiseDistance
        self.separatedFraction = separatedFraction
        self.marginMetFraction = marginMetFraction
        self.hardestLoss = hardestLoss
        self.allCoincide = allCoincide
        self.referenceRatio = referenceRatio
        self.reference = reference
        self.effectiveRank = effectiveRank
        self.dimension = dimension
        self.classes = classes
        self.fStarContraction = fStarContraction
        self.lossAtCollapsedValue = lossAtCollapsedValue
        self.activeFraction = activeFraction
        self.untrained = untrained
    }

    /// Retrieval above chance on a 0–1 scale: (P@1 − chance)/(1 − chance), Cohen's κ for 1-NN.
    public var retrievalAboveChance: Double { DiagnosisInputs.kappa(precisionAt1: precisionAt1, chance: chancePrecisionAt1) }

    /// (P@1 − chance)/(1 − chance); 1 when chance is 1.
    public static func kappa(precisionAt1: Double, chance: Double) -> Double {
        chance < 1 ? (precisionAt1 - chance) / (1 - chance) : 1
    }

    /// Mean pairwise distance over α.
    public var spreadOverMargin: Double { margin > 0 ? meanPairwiseDistance / margin : 0 }

    /// Still where the untrained network was: retrieval at chance now and at the untrained reference, and
    /// the spread not contracted (at least half the reference's). A run that has not learned yet has not
    /// collapsed either (a collapse to chance contracts the embedding); it is judged as untrained.
    public var stillAtChance: Bool {
        guard !untrained, referenceAtChance, let ratio = referenceRatio else { return false }
        return retrievalAboveChance < Diagnosis.chanceKappa && ratio >= Diagnosis.uncontracted
    }

    /// Whether the untrained reference was at chance: its κ under `referenceChanceCut`. A reference κ of
    /// 0.23 on 192 points is at chance as far as that probe can tell, and a run that falls from it to
    /// 0.18 has lost no classes it was shown to have.
    public var referenceAtChance: Bool {
        guard let k0 = referenceKappa else { return false }
        return k0 < referenceChanceCut
    }

    /// The κ under which the reference counts as at chance: 0.2 plus two standard errors of the reference's
    /// own κ (`kappaStandardError`; 0.2 exactly when its rows are unknown). Two standard errors, as the
    /// sweep tables read a difference as beyond noise: a reference above this cut shows classes beyond its
    /// sampling noise (one-sided, about 98 % of draws of a reference truly at 0.2 fall under it).
    public var referenceChanceCut: Double {
        guard let k0 = referenceKappa, let rows = referenceRows else { return Diagnosis.chanceKappa }
        return Diagnosis.chanceKappa + 2 * DiagnosisInputs.kappaStandardError(kappa: k0, chance: referenceChance ?? chancePrecisionAt1, rows: rows)
    }

    /// The standard error of κ measured on `rows` points: P@1 is a mean of `rows` hits (a leave-one-out
    /// 1-NN hit per point), so its standard error is √(p(1 − p)/rows) with p = chance + κ(1 − chance), and
    /// κ's is that over (1 − chance). The hits of one probe are not independent (a point's neighbour is
    /// another point's), so this is the binomial approximation; 0 for fewer than 2 rows or chance ≥ 1.
    public static func kappaStandardError(kappa: Double, chance: Double, rows: Int) -> Double {
        guard rows >= 2, chance < 1, kappa.isFinite, chance.isFinite else { return 0 }
        let p = min(max(chance + kappa * (1 - chance), 0), 1)
        return (p * (1 - p) / Double(rows)).squareRoot() / (1 - chance)
    }
}

/// The continuous evidence a verdict rests on (`diagnosis.evidence`).
public struct VerdictEvidence: Sendable, Codable, Equatable {
    /// (P@1 − chance)/(1 − chance).
    public var kappa: Double
    /// The margin α the distances were judged against (in the embedding's units).
    public var margin: Double
    /// Mean pairwise distance / α.
    public var spreadOverMargin: Double
    /// Fraction of anchors with farthest positive ≤ nearest negative, and with farthest positive + α ≤ nearest negative.
    public var separatedFraction: Double?
    public var marginMetFraction: Double?
    /// L_hard / α.
    public var hardestLossOverMargin: Double?

    enum CodingKeys: String, CodingKey {
        case kappa, margin
        case spreadOverMargin = "spread_over_margin"
        case separatedFraction = "separated_fraction"
        case marginMetFraction = "margin_met_fraction"
        case hardestLossOverMargin = "l_hard_over_margin"
    }
}

/// The verdict with its reasons, the failures it names, the evidence and a one-line headline.
public struct Diagnosis: Sendable, Codable, Equatable {
    public var verdict: VerdictLevel
    /// The verdict and which state it is, e.g. `collapsed (distances; ranking intact)`, `collapsed (classes
    /// lost)`, `partial (untrained)`: what pages, tables, `series show`, `jobs list` and webhooks print.
    public var headline: String
    public var failures: [FailureKind]
    public var reasons: [VerdictReason]
    public var reference: SpreadReference
    public var evidence: VerdictEvidence

    /// Thresholds of the rule (docs/science.md, *Collapse signal and verdict*, says why each sits where it does).
    public static let collapsedSpread = 0.25, insideMarginSpread = 0.5
    public static let chanceKappa = 0.2, overlapKappa = 0.7
    public static let separatedAnchors = 0.99
    /// Least spread (over the untrained reference's) of a run that is still at chance and counts as not yet trained.
    public static let uncontracted = 0.5
    public static let lowRankFraction = 0.35

    /// The rule, on the margin's scale:
    /// 1. every point coincides → collapsed (one point);
    /// 2. κ < 0.2 → collapsed (classes lost);
    /// 3. mean pairwise distance < 0.25·α → collapsed (distances; `ranking intact` when κ ≥ 0.7), partial
    ///    when ≥ 99 % of anchors are triplet-separated (a separated embedding is never called collapsed);
    /// 4. κ < 0.7 (classes overlap) or mean pairwise distance < 0.5·α (distances inside the margin) → partial;
    /// 5. otherwise healthy.
    /// An untrained embedding is never collapsed: what would be is partial (`untrained_at_chance` for chance
    /// retrieval); nor is one still where its untrained reference was (`still_at_chance`: at chance then,
    /// within the reference's sampling noise, and now, the spread at least half the reference's). References (step 0, the sphere, a series' baseline), the loss at its collapsed value,
    /// f*'s contraction and a low effective rank with classes intact are information, never the switch.
    public init(_ x: DiagnosisInputs) {
        reference = x.reference
        var reasons = [VerdictReason]()
        var failures = Set<FailureKind>()
        let untrained = x.untrained || x.stillAtChance
        func add(_ code: VerdictCode, _ level: VerdictLevel, _ failure: FailureKind?, _ message: String) {
            let capped = untrained && level == .collapsed ? VerdictLevel.partial : level
            reasons.append(VerdictReason(code: code, level: capped, message: message))
            if let failure, capped > .healthy { failures.insert(failure) }
        }
        let kappa = x.retrievalAboveChance, spread = x.spreadOverMargin
        evidence = VerdictEvidence(kappa: kappa, margin: x.margin, spreadOverMargin: spread, separatedFraction: x.separatedFraction,
                                   marginMetFraction: x.marginMetFraction, hardestLossOverMargin: x.hardestLoss.map { $0 / x.margin })
        let p1 = String(format: "P@1 %.3f against %.3f for random labels (κ = %.2f above chance on a 0–1 scale)", x.precisionAt1, x.chancePrecisionAt1, kappa)
        let spreadText = String(format: "the mean pairwise distance is %.3g α (α = %.3g)", spread, x.margin)
        let separated = (x.separatedFraction ?? 0) >= Diagnosis.separatedAnchors
        let untrainedNote = x.untrained ? " (untrained: nothing has trained yet, so this is not called collapsed)"
            : x.stillAtChance ? " (still where the untrained network was, so this is not called collapsed)" : ""
        var distancesCollapsed = false, classesLost = false
        if x.allCoincide {
            add(.allPointsCoincide, .collapsed, .networkCollapse, "Every embedding is the same point." + untrainedNote)
        } else {
            if let fraction = x.separatedFraction, separated {
                add(.tripletSeparated, .healthy, nil, String(format: "%.1f %% of anchors have their farthest positive no farther than their nearest negative: the classes are triplet-separated, which is never called collapsed.", 100 * fraction))
            }
            if kappa < Diagnosis.chanceKappa {
                if x.untrained {
                    add(.untrainedAtChance, .partial, nil, p1 + ": the untrained network does not separate the classes yet (not a collapse: nothing has trained).")
                } else if x.stillAtChance {
                    let k0 = x.referenceKappa ?? 0
                    let noise = k0 >= Diagnosis.chanceKappa ? String(format: ", at chance within its sampling noise: under %.2f", x.referenceChanceCut) : ""
                    add(.stillAtChance, .partial, nil, p1 + String(format: ", as at %@ (κ = %.2f%@), and the spread has not contracted (%.2f of it): the network has not learned the classes yet, which is not a collapse.",
                                                                    Diagnosis.referenceText(x.reference), k0, noise, x.referenceRatio ?? 0))
                } else {
                    classesLost = true
                    add(.retrievalAtChance, .collapsed, .lostClassStructure, p1 + ": the classes are lost.")
                }
            } else if kappa < Diagnosis.overlapKappa {
                add(.classesOverlap, .partial, .lostClassStructure, p1 + ": classes are partly merged.")
            }
            if spread < Diagnosis.collapsedSpread {
                distancesCollapsed = !separated && !untrained
                add(.distancesCollapsed, separated ? .partial : .collapsed, .networkCollapse,
                    "Distances have collapsed against the margin: " + spreadText
                    + ", so every triplet sits inside the margin (the loss's collapsed fixed point is where all distances are ≪ α)"
                    + (separated ? ", though the classes are still triplet-separated." : ".") + untrainedNote)
            } else if spread < Diagnosis.insideMarginSpread {
                add(.distancesInsideMargin, .partial, .networkCollapse,
                    "Distances are shrinking inside the margin: " + spreadText + ", so most triplets cannot meet it.")
            }
            if distancesCollapsed && kappa >= Diagnosis.overlapKappa {
                add(.rankingIntact, .healthy, nil, p1 + ": ranking survives (it is scale-free), but distances, thresholds and margins are no longer meaningful.")
            }
            Diagnosis.context(x, kappa: kappa, add: add)
        }
        let level = reasons.map(\.level).max() ?? .healthy
        if level == .healthy && !x.allCoincide {
            var message = p1 + "; " + spreadText
            if let met = x.marginMetFraction { message += String(format: "; %.1f %% of anchors meet the margin", 100 * met) }
            reasons.append(VerdictReason(code: .classesRetrievable, level: .healthy, message: message + "."))
        }
        verdict = level
        self.failures = FailureKind.allCases.filter { failures.contains($0) }
        self.reasons = reasons
        headline = Diagnosis.headline(level, reasons: reasons, classesLost: classesLost, distancesCollapsed: distancesCollapsed, kappa: kappa,
                                      untrained: untrained)
    }

    /// What a verdict notes but never turns on: a low effective rank (dimensional collapse, partial only
    /// when the classes overlap), the spread against a reference, the loss at its collapsed value, f*'s
    /// contraction.
    static func context(_ x: DiagnosisInputs, kappa: Double, add: (VerdictCode, VerdictLevel, FailureKind?, String) -> Void) {
        let capacity = Double(min(x.dimension, max(x.classes - 1, 1)))
        if capacity >= 2 && x.effectiveRank < Diagnosis.lowRankFraction * capacity {
            add(.dimensionalCollapse, kappa < Diagnosis.overlapKappa ? .partial : .healthy, .dimensionalCollapse,
                String(format: "The effective rank of the covariance spectrum is %.2f, against min(n, classes − 1) = %.0f%@.", x.effectiveRank, capacity,
                       kappa < Diagnosis.overlapKappa ? "" : " (classes still retrievable)"))
        }
        if let ratio = x.referenceRatio, ratio < 0.3 {
            add(.spreadBelowReference, .healthy, nil,
                String(format: "Context: the mean pairwise distance is %.3g of %@ (judged against α, not this: a trained model on the sphere often fills a cap).",
                       ratio, Diagnosis.referenceText(x.reference)))
        }
        if x.lossAtCollapsedValue == true, let active = x.activeFraction, active >= 0.99 {
            add(.lossAtCollapsedValue, .healthy, nil,
                String(format: "Context: the training loss is at its collapsed value with %.1f %% of triplets active.", 100 * active))
        }
        if let s = x.sphereSpread, x.margin > 0, s / x.margin < Diagnosis.collapsedSpread, x.spreadOverMargin >= Diagnosis.collapsedSpread {
            add(.collapsedOnTheSphere, .healthy, nil,
                String(format: "Context: L2-normalised, these embeddings' mean pairwise distance is %.3g α: collapsed on the unit sphere. If your loss normalises them (pytorch-metric-learning's default LpDistance(), CosineSimilarity()), the loss sees that collapse: judge them with normalize (isomine submit --normalize); this verdict reads them as given.",
                       s / x.margin))
        }
        if let c = x.fStarContraction, c < 0.5 {
            add(.fStarContracting, .healthy, nil,
                String(format: "Context: the nearest triplet-separated embedding found keeps %.2f of the spread.", c))
        }
    }

    /// `verdict (state)`: which collapse, or what keeps a run partial.
    static func headline(_ level: VerdictLevel, reasons: [VerdictReason], classesLost: Bool, distancesCollapsed: Bool, kappa: Double,
                         untrained: Bool) -> String {
        let codes = Set(reasons.filter { $0.level == level }.map(\.code))
        switch level {
        case .healthy: return "healthy"
        case .collapsed:
            if codes.contains(.allPointsCoincide) { return "collapsed (one point)" }
            if classesLost { return distancesCollapsed ? "collapsed (classes lost; distances)" : "collapsed (classes lost)" }
            return kappa >= overlapKappa ? "collapsed (distances; ranking intact)" : "collapsed (distances)"
        case .partial:
            let states: [(VerdictCode, String)] = [
                (.allPointsCoincide, "untrained; one point"), (.untrainedAtChance, "untrained"), (.stillAtChance, "still at chance"),
                (.distancesCollapsed, untrained ? "distances collapsed" : "distances collapsed; classes separated"), (.distancesInsideMargin, "distances inside the margin"),
                (.classesOverlap, "classes overlap"), (.dimensionalCollapse, "dimensional collapse"),
            ]
            let named = states.filter { codes.contains($0.0) }.map(\.1)
            return named.isEmpty ? "partial" : "partial (" + named.joined(separator: "; ") + ")"
        }
    }

    static func referenceText(_ reference: SpreadReference) -> String {
        switch reference {
        case .stepZero: return "its value at step 0"
        case .seriesBaseline: return "its value at the series' baseline step"
        case .monitorBatches: return "the monitor's first training batch (the untrained network's; the monitor's batch spread at this step over that batch's)"
        case .sphere: return "√2 × the common norm (the sphere)"
        case .stated: return "the stated reference_scale"
        case .none: return "nothing"
        }
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
