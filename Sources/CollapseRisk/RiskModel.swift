// The step-0 collapse risk: a logistic model on the step-0 features, fitted on calibration sweeps by
// deploy/experiments/collapse-risk/fit_risk.py (its output, fit.json, holds these coefficients, the
// threshold and the held-out measurements docs/science.md quotes).
import Foundation
import CollapseSignals
import Triplets

/// A run's step-0 collapse risk in [0, 1], the features it was read from and why.
public struct CollapseRiskEstimate: Sendable, Codable, Equatable {
    public var risk: Double
    /// The risk at or above which `collapse.warning` fires at step 0.
    public var threshold: Double
    public var features: StepZeroFeatures
    /// One sentence per feature with its value and its term in the model's log-odds (and, for a run
    /// whose miner the model was not fitted for, why it does not warn).
    public var reasons: [WarningReason]
    /// The miner the run mines with: one of `Miner`'s names, or `other` (a monitored loop's miner that
    /// is none of them). Nil in estimates stored before it was recorded, which were all batch-hard's.
    public var miner: String?

    /// Whether the risk warns at step 0: at or above its threshold, for a miner the model holds for.
    public var warns: Bool { minerCalibrated && risk >= threshold }

    /// Whether the model was fitted for the run's miner (`RiskModel.calibratedMiners`).
    public var minerCalibrated: Bool { RiskModel.calibratedMiners.contains(miner ?? Miner.batchHard.rawValue) }

    public init(risk: Double, threshold: Double, features: StepZeroFeatures, reasons: [WarningReason], miner: String?) {
        self.risk = risk
        self.threshold = threshold
        self.features = features
        self.reasons = reasons
        self.miner = miner
    }

    // `warns` is written for readers of the JSON (a result, `isomine risk`, a series' risk) and derived
    // again when read, so that it cannot disagree with the risk, the threshold and the miner.
    enum CodingKeys: String, CodingKey { case risk, threshold, features, reasons, miner, warns }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(risk: try c.decode(Double.self, forKey: .risk), threshold: try c.decode(Double.self, forKey: .threshold),
                  features: try c.decode(StepZeroFeatures.self, forKey: .features), reasons: try c.decode([WarningReason].self, forKey: .reasons),
                  miner: try c.decodeIfPresent(String.self, forKey: .miner))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(risk, forKey: .risk)
        try c.encode(threshold, forKey: .threshold)
        try c.encode(features, forKey: .features)
        try c.encode(reasons, forKey: .reasons)
        try c.encodeIfPresent(miner, forKey: .miner)
        try c.encode(warns, forKey: .warns)
    }

    /// The reasons of the step-0 warning this risk raises: the risk against its threshold first, then
    /// each feature's (the same for a train run and a monitored series).
    public var warningReasons: [WarningReason] {
        [WarningReason(code: "collapse_risk", message: String(format: "The step-0 collapse risk is %.2f, at or above its threshold %.2f (from %d batches of the untrained network%@).",
                                                              risk, threshold, features.batches.count, features.firstStep == nil ? "" : " and its first step, taken and undone"))] + reasons
    }
}

/// Coefficients of the logistic model over (log mechanism ratio, log B/n, gap/spread, log learning
/// rate, log of the margin against `referenceMargin`) and, for a train run, its first step (κ before
/// and after it, log of its spread ratio).
public struct RiskModel: Sendable, Equatable {
    public var intercept: Double
    public var logRatio: Double
    public var logBatchOverDimension: Double
    public var gapOverSpread: Double
    public var logLearningRate: Double
    /// The coefficient of log(α / `referenceMargin`) (0: the model has no margin term). Every run the
    /// other terms were fitted on trained at α = 0.2, where this term adds nothing, so it was fitted
    /// afterwards, by maximum likelihood with the rest of the model's log-odds held as an offset, on a
    /// fresh digits sweep at α = 0.05 and 0.5, and adopted for a model only if, on a rings sweep at the
    /// same margins and the 784-D digits (α = 0.1), it lowered the false alarms without losing AUC or
    /// taking detection under 0.9 (deploy/experiments/collapse-risk/margin_term.py, data/margin-term.json):
    /// the train runs' model, not the monitored runs'. On L2-normalised embeddings, as every calibration
    /// run was: on raw ones α is against whatever scale the network has.
    public var logMargin: Double
    /// The first step's terms; nil in the model for monitored runs, whose network isomine cannot step.
    public var firstStep: FirstStepTerms?
    public var threshold: Double

    /// The margin (in the loss's distance units) every run the other terms were fitted on trained with.
    public static let referenceMargin = 0.2

    /// The miners whose runs the step-0 risk warns for: those that take each anchor's hardest negative,
    /// the mechanism the model describes (hard mining pulling a batch toward its nearest separated
    /// embedding). It was fitted on batch-hard runs; on the demo's configuration it also warned every
    /// easy-positive (11 of 11) and hardest-triplet (32 of 32) run that collapsed. For the others — semi-hard, batch-all, collapse-aware, random, or a monitored loop's
    /// `other` — the risk is computed and reported but does not warn: on the demo's configuration it
    /// warned 17 of 36 semi-hard runs, 16 of 36 collapse-aware runs and 18 of 34 healthy batch-all
    /// runs at step 0, none of the first two collapsing (docs/science.md, *The step-0 risk and the
    /// run's miner*). Their runs are warned by the per-step signals alone.
    public static let calibratedMiners: Set<String> = [Miner.batchHard.rawValue, Miner.easyPositive.rawValue, Miner.hardestTriplet.rawValue]

    /// Coefficients of the first step's features in the log-odds.
    public struct FirstStepTerms: Sendable, Equatable {
        public var kappaBefore: Double
        public var kappaAfter: Double
        public var logSpreadRatio: Double
    }

    /// The calibrated model for `features`: with the first step when it was measured (a train run),
    /// else `calibrated` (a monitored run).
    public static func calibrated(for features: StepZeroFeatures) -> RiskModel {
        features.firstStep == nil ? calibrated : calibratedWithFirstStep
    }

    /// The model fitted on the calibration sweeps (`deploy/examples/sweep-warning-calibration-*.json`:
    /// digits and 20-class blobs, seeds 0–1, Adam at 0.05, 0.2 and 0.5, P = 10, K ∈ {16, 32, 64},
    /// n ∈ {2, 4, 8, 16}, 200 steps; 144 runs, 61 of them collapsing); the threshold is the lowest risk
    /// that warned at most 10 % of the healthy calibration runs. deploy/experiments/collapse-risk has
    /// the script, its output and the held-out measurements.
    public static let calibrated = RiskModel(intercept: -8.64089558531907, logRatio: -0.4277738620256646,
                                             logBatchOverDimension: -0.2632930529732098, gapOverSpread: -10.466466999826562,
                                             logLearningRate: 0.9886174887562513, logMargin: 0, threshold: 0.22283131414678428)

    /// The model for train runs (`calibrated(for:)`): the same four features and the run's first step,
    /// fitted by deploy/experiments/collapse-risk/forecast_fit.py on the five isomine sweeps made before
    /// it (calibration digits and blobs, the earlier held-out digits and rings, the warped set; each set
    /// weighing the same; 432 runs, 166 collapsing); the threshold is the lowest risk that warned at most
    /// 10 % of their healthy runs. Measured on a sweep fixed before the fit (data/forecast.json).
    public static let calibratedWithFirstStep = RiskModel(
        intercept: 5.687659957576131, logRatio: -11.38794688609987, logBatchOverDimension: -2.1258154263876845,
        gapOverSpread: -5.355152237183858, logLearningRate: -0.9175142893734548, logMargin: 2.053746436156897,
        firstStep: FirstStepTerms(kappaBefore: 5.411396933136772, kappaAfter: -10.082764081732138, logSpreadRatio: -4.183961414798009),
        threshold: 0.10581346161984274)

    /// The risk of `features` for a run mining with `miner` (a `Miner` name or `other`), with its
    /// reasons (the first step's terms only when both the model and the features have them).
    public func estimate(_ f: StepZeroFeatures, miner: String) -> CollapseRiskEstimate {
        let ratio = min(max(f.mechanismRatio, 1e-3), 1e3)
        let margin = f.margin ?? RiskModel.referenceMargin
        var terms = [
            logRatio * log(ratio), logBatchOverDimension * log(max(f.batchOverDimension, 1e-9)),
            gapOverSpread * f.gapOverSpread, logLearningRate * log(max(f.learningRate, 1e-12)),
            logMargin * log(max(margin, 1e-12) / RiskModel.referenceMargin),
        ]
        func way(_ t: Double) -> String { String(format: "%+.2f to the risk's log-odds", t) }
        var reasons = [
            WarningReason(code: "mechanism_ratio", message: String(format: "d_iso to the class-centroid collapse is %.3g × the certified d_iso to the nearest separated embedding found that keeps half the spread (%@; at or below 1 the collapse is hard mining's nearest target): %@.",
                                                                   f.mechanismRatio, f.mechanismRatio > 1 ? "a non-collapsed target exists" : "no nearer non-collapsed target was found", way(terms[0]))),
            WarningReason(code: "batch_over_dimension", message: String(format: "B/n = %.3g (batch %d points in %d dimensions): %@.",
                                                                        f.batchOverDimension, f.batchSize, f.embeddingDim, way(terms[1]))),
            WarningReason(code: "gap_over_spread", message: String(format: "At initialisation batch-hard's mean d⁻ − d⁺ is %.3g × the batch's spread: %@.", f.gapOverSpread, way(terms[2]))),
            WarningReason(code: "learning_rate", message: String(format: "Learning rate %.3g (%@): %@.", f.learningRate, f.optimizer, way(terms[3]))),
        ]
        if logMargin != 0 {
            reasons.append(WarningReason(code: "margin", message: String(format: "Margin α = %.3g against the %.3g the model was calibrated at (the collapse line is 0.25 α, nearer at a larger α): %@.",
                                                                         margin, RiskModel.referenceMargin, way(terms[4]))))
        }
        if let c = firstStep, let step = f.firstStep {
            let kappa = c.kappaBefore * step.before.kappa + c.kappaAfter * step.after.kappa
            let contraction = c.logSpreadRatio * log(min(max(step.spreadRatio, 1e-3), 1e3))
            terms += [kappa, contraction]
            reasons += [
                WarningReason(code: "first_step_kappa", message: String(format: "The probe's κ is %.2f untrained and %.2f after the run's first step (taken and undone): %@.",
                                                                        step.before.kappa, step.after.kappa, way(kappa))),
                WarningReason(code: "first_step_contraction", message: String(format: "The first step scales the probe's mean pairwise distance by %.3g: %@.",
                                                                              step.spreadRatio, way(contraction))),
            ]
        }
        let z = intercept + terms.reduce(0, +)
        var estimate = CollapseRiskEstimate(risk: 1 / (1 + exp(-z)), threshold: threshold, features: f, reasons: reasons, miner: miner)
        if !estimate.minerCalibrated {
            let mining = miner == "other" ? "a miner that is none of isomine's" : "\(miner) triplets"
            estimate.reasons.append(WarningReason(
                code: "miner_not_calibrated",
                message: "This run mines with \(mining): the risk was fitted on batch-hard runs and warns only for miners that take each anchor's hardest negative (batch-hard, easy-positive, hardest-triplet), so here it is reported and does not warn at step 0; the per-step signals still warn."))
        }
        return estimate
    }
}
