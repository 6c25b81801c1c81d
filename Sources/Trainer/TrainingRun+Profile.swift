// Per-phase timing of training steps, for `isomine bench trainer`.
import Dispatch
import Linalg

/// Mean microseconds per step spent in each phase of a training step.
public struct StepProfile: Sendable, Codable, Equatable {
    public var sampleMicroseconds: Double
    public var forwardMicroseconds: Double
    public var objectiveMicroseconds: Double
    public var backwardMicroseconds: Double
    public var optimizerMicroseconds: Double

    enum CodingKeys: String, CodingKey {
        case sampleMicroseconds = "sample_us"
        case forwardMicroseconds = "forward_us"
        case objectiveMicroseconds = "objective_us"
        case backwardMicroseconds = "backward_us"
        case optimizerMicroseconds = "optimizer_us"
    }
}

extension TrainingRun {
    /// Runs `steps` extra training steps timing each phase. Changes the model: use on a throwaway run.
    public func profileSteps(_ steps: Int) -> StepProfile {
        var t = [Double](repeating: 0, count: 5)
        func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
        for _ in 0..<steps {
            var mark = now()
            func lap(_ i: Int) { let n = now(); t[i] += Double(n - mark); mark = n }
            loadNextBatch(sampler: &sampler, rng: &rng)
            lap(0)
            model.forward(workspace)
            lap(1)
            _ = evaluateObjective(rng: &rng, withGradient: true)
            lap(2)
            model.backward(workspace)
            lap(3)
            optimizer.step(parameters: model.parameters.pointer, gradients: model.gradients.pointer)
            lap(4)
        }
        let s = 1e-3 / Double(max(steps, 1))
        return StepProfile(sampleMicroseconds: t[0] * s, forwardMicroseconds: t[1] * s, objectiveMicroseconds: t[2] * s,
                           backwardMicroseconds: t[3] * s, optimizerMicroseconds: t[4] * s)
    }
}

/// Timing of the matrix products alone of one training step (same shapes, same calls, no other work).
public struct MatrixProductBenchmark: Sendable, Codable, Equatable {
    /// FLOPs of the GEMMs in one step (2 per multiply-add).
    public var flopsPerStep: Double
    public var microsecondsPerStep: Double
    public var gflops: Double
    /// The step rate if the step were only its matrix products.
    public var stepsPerSecondBound: Double

    enum CodingKeys: String, CodingKey {
        case flopsPerStep = "flops_per_step"
        case microsecondsPerStep = "us_per_step"
        case gflops
        case stepsPerSecondBound = "steps_per_second_bound"
    }

    /// Runs the forward, backward and distance GEMMs of a step of `shape` with `batch` rows `repeats` times.
    public static func measure(shape: MLPShape, batch: Int, repeats: Int) -> MatrixProductBenchmark {
        var rng = SeededRNG(seed: 7)
        let model = MLP<Float>(shape: shape, rng: &rng)
        let ws = MLPWorkspace<Float>(shape: shape, batch: batch)
        let w = shape.widths
        let n = shape.embeddingDim
        let square = Buffer<Float>(count: batch * batch)
        var flops = 0.0
        func step() {
            flops = 0
            func gemm(_ ta: Bool, _ tb: Bool, _ m: Int, _ nn: Int, _ k: Int, _ a: UnsafePointer<Float>, _ lda: Int,
                      _ b: UnsafePointer<Float>, _ ldb: Int, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
                Float.gemm(transA: ta, transB: tb, m: m, n: nn, k: k, alpha: 1, a: a, lda: lda, b: b, ldb: ldb, beta: 0, c: c, ldc: ldc)
                flops += 2 * Double(m * nn * k)
            }
            for l in 0..<shape.layerCount {
                gemm(false, false, batch, w[l + 1], w[l], ws.layerInput(l), w[l], model.parameters.pointer + shape.weightOffset(l), w[l + 1], ws.layerOutput(l), w[l + 1])
            }
            let e = ws.layerOutput(shape.layerCount - 1)
            // The distance Gram matrix: only its upper triangle, as the training step computes it.
            Float.syrkUpper(n: batch, k: n, alpha: 1, a: e, lda: n, beta: 0, c: square.pointer, ldc: batch)
            flops += Double(batch * (batch + 1) * n)
            gemm(false, false, batch, n, batch, square.pointer, batch, e, n, ws.outputGradient.pointer, n)
            for l in stride(from: shape.layerCount - 1, through: 0, by: -1) {
                gemm(true, false, w[l], w[l + 1], batch, ws.layerInput(l), w[l], ws.layerOutput(l), w[l + 1], model.gradients.pointer + shape.weightOffset(l), w[l + 1])
                if l > 0 {
                    gemm(false, true, batch, w[l], w[l + 1], ws.layerOutput(l), w[l + 1], model.parameters.pointer + shape.weightOffset(l), w[l + 1], ws.scratchA, w[l])
                }
            }
        }
        step()
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<repeats { step() }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        let perStep = seconds / Double(max(repeats, 1))
        return MatrixProductBenchmark(flopsPerStep: flops, microsecondsPerStep: perStep * 1e6,
                                      gflops: flops / perStep * 1e-9, stepsPerSecondBound: 1 / perStep)
    }
}
