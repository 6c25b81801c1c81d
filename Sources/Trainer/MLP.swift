// The embedding network: an MLP with ReLU hidden layers, He initialisation and optional L2-normalised output.
import Linalg

/// Layer sizes of an MLP `input → hidden… → embedding`.
public struct MLPShape: Sendable, Codable, Equatable {
    public var inputDim: Int
    public var hidden: [Int]
    public var embeddingDim: Int
    /// Whether the output is L2-normalised (embeddings on the unit sphere).
    public var normalize: Bool

    public init(inputDim: Int, hidden: [Int], embeddingDim: Int, normalize: Bool) {
        self.inputDim = inputDim
        self.hidden = hidden
        self.embeddingDim = embeddingDim
        self.normalize = normalize
    }

    /// `[input, hidden…, embedding]`.
    public var widths: [Int] { [inputDim] + hidden + [embeddingDim] }
    public var layerCount: Int { hidden.count + 1 }

    /// Offset of layer `l`'s weights (row-major `in × out`) in the flat parameter vector; its bias follows.
    public func weightOffset(_ l: Int) -> Int {
        var o = 0
        let w = widths
        for i in 0..<l { o += w[i] * w[i + 1] + w[i + 1] }
        return o
    }

    public var parameterCount: Int { weightOffset(layerCount) }

    /// Multiply-adds of one forward pass per sample (the backward pass costs about twice that).
    public var multiplyAddsPerSample: Int {
        let w = widths
        return (0..<layerCount).reduce(0) { $0 + w[$1] * w[$1 + 1] }
    }
}

/// MLP parameters and their gradient, as flat vectors so the optimiser is one loop.
public final class MLP<T: BLASReal> {
    public let shape: MLPShape
    /// All weights and biases, layer by layer (`W₁, b₁, W₂, b₂, …`).
    public let parameters: Buffer<T>
    /// Gradient of the last backward pass, same layout as `parameters`.
    public let gradients: Buffer<T>
    /// `shape.widths` and the layer offsets, computed once: the shape's computed properties
    /// build arrays, which the per-step passes must not do.
    let widths: [Int]
    let offsets: [Int]

    /// He-initialised weights (N(0, 2/fan_in)) and zero biases, drawn from `rng`.
    public init(shape: MLPShape, rng: inout SeededRNG) {
        self.shape = shape
        parameters = Buffer(count: shape.parameterCount)
        gradients = Buffer(count: shape.parameterCount)
        widths = shape.widths
        offsets = (0...shape.layerCount).map(shape.weightOffset)
        let w = widths
        for l in 0..<shape.layerCount {
            let std = (2.0 / Double(w[l])).squareRoot()
            let o = offsets[l]
            for i in 0..<(w[l] * w[l + 1]) { parameters[o + i] = T(rng.normal() * std) }
        }
    }

    /// Runs the network on `workspace.input` (batch × inputDim); the output lands in `workspace.output`.
    public func forward(_ ws: MLPWorkspace<T>) {
        let w = widths
        let b = ws.batch
        for l in 0..<shape.layerCount {
            let (fanIn, fanOut) = (w[l], w[l + 1])
            let src = ws.layerInput(l)
            let dst = ws.layerOutput(l)
            let weights = parameters.pointer + offsets[l]
            let bias = weights + fanIn * fanOut
            for r in 0..<b { (dst + r * fanOut).update(from: bias, count: fanOut) }
            T.gemm(transA: false, transB: false, m: b, n: fanOut, k: fanIn, alpha: 1, a: src, lda: fanIn,
                   b: weights, ldb: fanOut, beta: 1, c: dst, ldc: fanOut)
            if l < shape.layerCount - 1 { T.relu(dst, into: dst, count: b * fanOut) }
        }
        let n = shape.embeddingDim
        let raw = ws.layerOutput(shape.layerCount - 1)
        for r in 0..<b {
            var s: T = 0
            for k in 0..<n { s += raw[r * n + k] * raw[r * n + k] }
            let norm = s.squareRoot()
            ws.outputNorms[r] = norm
            if shape.normalize {
                let inv: T = norm > 0 ? 1 / norm : 0
                for k in 0..<n { ws.normalized[r * n + k] = raw[r * n + k] * inv }
            }
        }
    }

    /// Backpropagates `ws.outputGradient` (∂loss/∂output, batch × embeddingDim) into `gradients`.
    public func backward(_ ws: MLPWorkspace<T>) {
        let w = widths
        let b = ws.batch
        let n = shape.embeddingDim
        var g = ws.scratchA
        var next = ws.scratchB
        if shape.normalize {
            // ∂ê/∂e = (I − ê êᵀ)/‖e‖: remove the radial part, scale by 1/‖e‖.
            for r in 0..<b {
                let e = ws.normalized.pointer + r * n
                let d = ws.outputGradient.pointer + r * n
                var dot: T = 0
                for k in 0..<n { dot += e[k] * d[k] }
                let norm = ws.outputNorms[r]
                let inv: T = norm > 0 ? 1 / norm : 0
                for k in 0..<n { g[r * n + k] = (d[k] - e[k] * dot) * inv }
            }
        } else {
            g.update(from: ws.outputGradient.pointer, count: b * n)
        }
        for l in stride(from: shape.layerCount - 1, through: 0, by: -1) {
            let (fanIn, fanOut) = (w[l], w[l + 1])
            let src = ws.layerInput(l)
            let weights = parameters.pointer + offsets[l]
            let dW = gradients.pointer + offsets[l]
            let dB = dW + fanIn * fanOut
            T.gemm(transA: true, transB: false, m: fanIn, n: fanOut, k: b, alpha: 1, a: src, lda: fanIn,
                   b: g, ldb: fanOut, beta: 0, c: dW, ldc: fanOut)
            T.columnSums(g, rows: b, cols: fanOut, into: dB)
            if l > 0 {
                T.gemm(transA: false, transB: true, m: b, n: fanIn, k: fanOut, alpha: 1, a: g, lda: fanOut,
                       b: weights, ldb: fanOut, beta: 0, c: next, ldc: fanIn)
                // ReLU: pass the gradient only where the activation was positive.
                T.reluBackward(next, activations: src, count: b * fanIn)
                swap(&g, &next)
            }
        }
    }
}

/// Activations and scratch for one batch size, allocated once and reused every step.
public final class MLPWorkspace<T: BLASReal> {
    public let batch: Int
    public let shape: MLPShape
    /// Network input, batch × inputDim.
    public let input: Buffer<T>
    /// Post-activation outputs of every layer (the last one is the raw embedding).
    let outputs: [Buffer<T>]
    /// L2-normalised embeddings (used when the shape normalises).
    let normalized: Buffer<T>
    /// ‖raw embedding‖ of every row.
    public let outputNorms: Buffer<T>
    /// ∂loss/∂(network output), filled by the objective before `backward`.
    public let outputGradient: Buffer<T>
    let scratchA: UnsafeMutablePointer<T>
    let scratchB: UnsafeMutablePointer<T>
    private let scratch: Buffer<T>

    public init(shape: MLPShape, batch: Int) {
        self.shape = shape
        self.batch = batch
        let w = shape.widths
        input = Buffer(count: batch * shape.inputDim)
        outputs = (1..<w.count).map { Buffer(count: batch * w[$0]) }
        normalized = Buffer(count: batch * shape.embeddingDim)
        outputNorms = Buffer(count: batch)
        outputGradient = Buffer(count: batch * shape.embeddingDim)
        let widest = w.max() ?? 1
        scratch = Buffer(count: 2 * batch * widest)
        scratchA = scratch.pointer
        scratchB = scratch.pointer + batch * widest
    }

    func layerInput(_ l: Int) -> UnsafeMutablePointer<T> { l == 0 ? input.pointer : outputs[l - 1].pointer }
    func layerOutput(_ l: Int) -> UnsafeMutablePointer<T> { outputs[l].pointer }

    /// The embeddings the model outputs (normalised when the shape says so), batch × embeddingDim.
    public var embeddings: UnsafeMutablePointer<T> {
        shape.normalize ? normalized.pointer : outputs[outputs.count - 1].pointer
    }
}
