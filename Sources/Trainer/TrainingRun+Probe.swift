// The probe's embeddings at initialisation and now, with the last f*: what reports plot and the
// artifacts a run leaves (final embeddings, f*).
import Estimators
import Linalg

/// Embeddings of a fixed, stratified subset of the evaluation split.
public struct ProbeSnapshot: Sendable {
    /// Rows of the evaluation split.
    public var rows: [Int]
    public var labels: [Int]
    /// f at step 0 (the seeded initialisation).
    public var start: Matrix<Double>
    /// f now.
    public var final: Matrix<Double>
    /// f*_iso and f*_haus of the latest evaluation, when it is the current step and estimators ran.
    public var fStar: FStarPoints?
}

extension TrainingRun {
    /// The evaluation rows the estimators analyse: all of them when the set is no larger than `size`,
    /// else a class-keeping probe (every class in it has at least two points); a stratified sample
    /// only when the split has fewer than two classes with two points.
    static func probe(labels: [Int], size: Int, seed: UInt64) -> [Int] {
        if size >= labels.count { return Array(0..<labels.count) }
        return (try? classKeepingProbe(labels: labels, size: max(size, 4), seed: seed)) ?? stratifiedSample(labels: labels, size: size, seed: seed)
    }

    /// Probe embeddings at initialisation and now. The probe is the estimators' (or, with estimators
    /// off, such a probe of at most 256 rows); step 0 is recomputed from the seed, so this
    /// also works for a resumed run.
    public func probeSnapshot() -> ProbeSnapshot {
        let rows = probeRows.isEmpty ? TrainingRun.probe(labels: test.labels, size: 256, seed: config.seed) : probeRows
        let x = test.features.rows(rows)
        var initRNG = SeededRNG(seed: config.seed, stream: RandomStream.initialisation.rawValue)
        let initial = MLP<Float>(shape: config.model, rng: &initRNG)
        let fStar = latestFStar.flatMap { $0.step == step ? $0.points : nil }
        return ProbeSnapshot(rows: rows, labels: rows.map { test.labels[$0] },
                             start: TrainingRun.embed(x, with: initial, shape: config.model).converted(to: Double.self),
                             final: embed(x).converted(to: Double.self), fStar: fStar)
    }
}
