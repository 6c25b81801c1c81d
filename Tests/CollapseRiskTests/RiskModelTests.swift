// The step-0 risk's two calibrated models: a train run's (with its first step, taken on a copy) and a
// monitored run's (no network to step), each the logistic function of its own terms.
import Foundation
import Linalg
import Testing
import Triplets
@testable import CollapseRisk

@Suite struct RiskModelTests {
    func features(firstStep: String?) throws -> StepZeroFeatures {
        let step = firstStep.map { #","first_step":\#($0)"# } ?? ""
        let json = #"{"mechanism_ratio":1.4,"batches":[],"batch_over_dimension":40,"batch_size":320,"embedding_dim":8,"gap_over_spread":-0.3,"learning_rate":0.2,"optimizer":"adam"\#(step)}"#
        return try JSONDecoder().decode(StepZeroFeatures.self, from: Data(json.utf8))
    }

    func probe(kappa: Double, spread: Double) -> String {
        #"{"kappa":\#(kappa),"mean_pairwise_distance":\#(spread),"spread_over_margin":\#(spread / 0.2),"separated_fraction":0,"verdict":"partial"}"#
    }

    @Test func aTrainRunsRiskReadsItsFirstStepAndAMonitorsDoesNot() throws {
        let monitor = try features(firstStep: nil)
        let train = try features(firstStep: #"{"before":\#(probe(kappa: 0.5, spread: 1.0)),"after":\#(probe(kappa: 0.1, spread: 0.4)),"spread_ratio":0.4}"#)
        #expect(RiskModel.calibrated(for: monitor) == RiskModel.calibrated)
        #expect(RiskModel.calibrated(for: train) == RiskModel.calibratedWithFirstStep)

        let m = RiskModel.calibrated.estimate(monitor, miner: "batch-hard"), t = RiskModel.calibratedWithFirstStep.estimate(train, miner: "batch-hard")
        #expect(m.reasons.map(\.code) == ["mechanism_ratio", "batch_over_dimension", "gap_over_spread", "learning_rate"])
        #expect(t.reasons.map(\.code) == m.reasons.map(\.code) + ["margin", "first_step_kappa", "first_step_contraction"])
        #expect(t.warningReasons[0].message.contains("and its first step"))

        // Each risk is the logistic function of its model's terms, written out here independently.
        func logistic(_ z: Double) -> Double { 1 / (1 + exp(-z)) }
        let c = RiskModel.calibrated, w = RiskModel.calibratedWithFirstStep, f = try #require(w.firstStep)
        let base = { (r: RiskModel) in r.intercept + r.logRatio * log(1.4) + r.logBatchOverDimension * log(40) + r.gapOverSpread * -0.3 + r.logLearningRate * log(0.2) }
        #expect(abs(m.risk - logistic(base(c))) < 1e-12)
        #expect(abs(t.risk - logistic(base(w) + f.kappaBefore * 0.5 + f.kappaAfter * 0.1 + f.logSpreadRatio * log(0.4))) < 1e-12)
        // A first step that keeps κ and the spread reads as safer than one that loses both.
        let kept = try features(firstStep: #"{"before":\#(probe(kappa: 0.5, spread: 1.0)),"after":\#(probe(kappa: 0.6, spread: 0.9)),"spread_ratio":0.9}"#)
        #expect(w.estimate(kept, miner: "batch-hard").risk < t.risk)
    }

    /// The train runs' margin term: nothing at the calibration's α = 0.2 (and for features stored before
    /// the margin was, all at 0.2), more risk at a larger α, whose collapse line (0.25 α) is nearer, less
    /// at a smaller. The monitored runs' model has none (its term was not adopted): the margin changes nothing.
    @Test func theRiskReadsTheMarginAgainstTheOneItWasCalibratedAt() throws {
        let step = #"{"before":\#(probe(kappa: 0.5, spread: 1.0)),"after":\#(probe(kappa: 0.1, spread: 0.4)),"spread_ratio":0.4}"#
        let train = try features(firstStep: step), monitor = try features(firstStep: nil)
        func estimate(_ base: StepZeroFeatures, _ margin: Double?) -> CollapseRiskEstimate {
            var f = base
            f.margin = margin
            return RiskModel.calibrated(for: f).estimate(f, miner: "batch-hard")
        }
        let model = RiskModel.calibratedWithFirstStep
        #expect(model.logMargin > 0 && RiskModel.calibrated.logMargin == 0)
        func risk(_ margin: Double?) -> Double { estimate(train, margin).risk }
        #expect(risk(nil) == risk(0.2))
        #expect(risk(0.05) < risk(0.2) && risk(0.2) < risk(0.5))
        let z = { (r: Double) in log(r / (1 - r)) }
        #expect(abs(z(risk(0.05)) - z(risk(0.2)) - model.logMargin * log(0.25)) < 1e-9)
        let reason = try #require(estimate(train, 0.05).reasons.first { $0.code == "margin" })
        #expect(reason.message.hasPrefix("Margin α = 0.05 against the 0.2 the model was calibrated at"), "\(reason.message)")
        #expect(estimate(monitor, 0.05).risk == estimate(monitor, 0.5).risk && !estimate(monitor, 0.05).reasons.contains { $0.code == "margin" })
        // Recorded with the features, in the loss's distance: √α for a loss on squared distances.
        let points = Matrix<Double>(rows: 4, cols: 1, storage: [0, 0.1, 1, 1.1])
        for (distance, expected) in [(DistanceKind.euclidean, 0.25), (.squared, 0.5)] {
            let f = try StepZeroFeatures(batches: [(points, [0, 0, 1, 1])], loss: TripletLossConfig(kind: .hinge, margin: 0.25, distance: distance),
                                         embeddingDim: 1, learningRate: 0.1, optimizer: "adam")
            #expect(f.margin == expected)
            let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(f)) as? [String: Any]
            #expect(json?["margin"] as? Double == expected)
        }
    }

    @Test func theRiskWarnsOnlyForTheHardestNegativeMinersItWasFittedOn() throws {
        // A monitored run's features whose risk is over the threshold (B/n = 160, negatives far inside).
        let json = #"{"mechanism_ratio":1.1,"batches":[],"batch_over_dimension":160,"batch_size":320,"embedding_dim":2,"gap_over_spread":-1.7,"learning_rate":0.05,"optimizer":"adam"}"#
        let f = try JSONDecoder().decode(StepZeroFeatures.self, from: Data(json.utf8))
        let hard = RiskModel.calibrated.estimate(f, miner: "batch-hard")
        #expect(hard.risk >= hard.threshold && hard.warns && !hard.reasons.contains { $0.code == "miner_not_calibrated" })
        for miner in ["easy-positive", "hardest-triplet"] {
            #expect(RiskModel.calibrated.estimate(f, miner: miner).warns, "\(miner)")
        }
        for miner in ["semi-hard", "batch-all", "collapse-aware", "random", "other"] {
            let e = RiskModel.calibrated.estimate(f, miner: miner)
            // The same risk, reported; it does not warn, and says why.
            #expect(e.risk == hard.risk && !e.warns && e.reasons.last?.code == "miner_not_calibrated", "\(miner)")
            #expect(e.reasons.last?.message.contains(miner == "other" ? "none of isomine's" : miner) == true)
        }
        // The JSON says whether it warns; `warns` is derived again when read, and an estimate stored
        // before the miner was recorded (batch-hard's) still warns.
        let semi = RiskModel.calibrated.estimate(f, miner: "semi-hard")
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(semi)) as? [String: Any]
        #expect(object?["warns"] as? Bool == false && object?["miner"] as? String == "semi-hard")
        #expect(try JSONDecoder().decode(CollapseRiskEstimate.self, from: JSONEncoder().encode(semi)) == semi)
        var legacy = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(hard)) as? [String: Any])
        legacy["miner"] = nil
        legacy["warns"] = nil
        let old = try JSONDecoder().decode(CollapseRiskEstimate.self, from: JSONSerialization.data(withJSONObject: legacy))
        #expect(old.miner == nil && old.warns)
    }
}
