// The step-0 risk's two calibrated models: a train run's (with its first step, taken on a copy) and a
// monitored run's (no network to step), each the logistic function of its own terms.
import Foundation
import Testing
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

        let m = RiskModel.calibrated.estimate(monitor), t = RiskModel.calibratedWithFirstStep.estimate(train)
        #expect(m.reasons.map(\.code) == ["mechanism_ratio", "batch_over_dimension", "gap_over_spread", "learning_rate"])
        #expect(t.reasons.map(\.code) == m.reasons.map(\.code) + ["first_step_kappa", "first_step_contraction"])
        #expect(t.warningReasons[0].message.contains("and its first step"))

        // Each risk is the logistic function of its model's terms, written out here independently.
        func logistic(_ z: Double) -> Double { 1 / (1 + exp(-z)) }
        let c = RiskModel.calibrated, w = RiskModel.calibratedWithFirstStep, f = try #require(w.firstStep)
        let base = { (r: RiskModel) in r.intercept + r.logRatio * log(1.4) + r.logBatchOverDimension * log(40) + r.gapOverSpread * -0.3 + r.logLearningRate * log(0.2) }
        #expect(abs(m.risk - logistic(base(c))) < 1e-12)
        #expect(abs(t.risk - logistic(base(w) + f.kappaBefore * 0.5 + f.kappaAfter * 0.1 + f.logSpreadRatio * log(0.4))) < 1e-12)
        // A first step that keeps κ and the spread reads as safer than one that loses both.
        let kept = try features(firstStep: #"{"before":\#(probe(kappa: 0.5, spread: 1.0)),"after":\#(probe(kappa: 0.6, spread: 0.9)),"spread_ratio":0.9}"#)
        #expect(w.estimate(kept).risk < t.risk)
    }
}
