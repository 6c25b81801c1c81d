// Adam, SGD with momentum, weight decay and the learning-rate schedules.
import Foundation
import Testing
import Linalg
@testable import Trainer

@Suite struct OptimizerTests {
    @Test func adamFirstStepsMatchTorchFormulas() {
        let opt = Optimizer<Double>(config: OptimizerConfig(kind: .adam, learningRate: 0.1, weightDecay: 0.01), parameterCount: 2, totalSteps: 10)
        var p: [Double] = [1, -2]
        let g: [Double] = [0.5, -0.25]
        var m = [0.0, 0.0], v = [0.0, 0.0]
        var expected = p
        for t in 1...3 {
            for i in 0..<2 {
                let gi = g[i] + 0.01 * expected[i]
                m[i] = 0.9 * m[i] + 0.1 * gi
                v[i] = 0.999 * v[i] + 0.001 * gi * gi
                let mh = m[i] / (1 - pow(0.9, Double(t))), vh = v[i] / (1 - pow(0.999, Double(t)))
                expected[i] -= 0.1 * mh / (vh.squareRoot() + 1e-8)
            }
            p.withUnsafeMutableBufferPointer { pp in g.withUnsafeBufferPointer { gg in opt.step(parameters: pp.baseAddress!, gradients: gg.baseAddress!) } }
            for i in 0..<2 { #expect(abs(p[i] - expected[i]) < 1e-12) }
        }
        #expect(opt.updates == 3)
    }

    @Test func sgdMomentum() {
        let opt = Optimizer<Double>(config: OptimizerConfig(kind: .sgd, learningRate: 0.1, momentum: 0.5), parameterCount: 1, totalSteps: 10)
        var p: [Double] = [1]
        for _ in 0..<2 {
            p.withUnsafeMutableBufferPointer { pp in [2.0].withUnsafeBufferPointer { gg in opt.step(parameters: pp.baseAddress!, gradients: gg.baseAddress!) } }
        }
        // buf = 2, p = 0.8; buf = 0.5·2 + 2 = 3, p = 0.5.
        #expect(abs(p[0] - 0.5) < 1e-12)
    }

    @Test func schedules() {
        let cosine = OptimizerConfig(learningRate: 1, schedule: .cosine(minimum: 0.1))
        #expect(cosine.learningRate(at: 0, totalSteps: 100) == 1)
        #expect(abs(cosine.learningRate(at: 50, totalSteps: 100) - 0.55) < 1e-12)
        #expect(abs(cosine.learningRate(at: 100, totalSteps: 100) - 0.1) < 1e-12)
        let step = OptimizerConfig(learningRate: 1, schedule: .step(every: 10, gamma: 0.5))
        #expect(step.learningRate(at: 9, totalSteps: 100) == 1)
        #expect(step.learningRate(at: 10, totalSteps: 100) == 0.5)
        #expect(step.learningRate(at: 35, totalSteps: 100) == 0.125)
    }
}
