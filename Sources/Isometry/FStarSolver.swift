// The search for the nearest triplet-separated embedding f*: penalised smooth-max descent from several
// starts, with feasibility repaired and certified along the way; the best feasible candidate wins.
import Foundation
import Linalg

/// Settings of the f* search.
public struct FStarOptions: Sendable, Equatable, Codable {
    /// Descent iterations per start; 0 picks by size (2000 up to 50 points, 600 up to 300, 250 up to 600,
    /// 80 up to 1,000, else 40).
    public var iterations: Int
    /// Repair and certify the current iterate every this many iterations (and at the end); 0 picks by size.
    public var checkEvery: Int
    /// Class-shrink factors of the extra starts (each class pulled toward its centroid by this factor);
    /// not used above `largeSet` points.
    public var shrinkFactors: [Double]

    /// Rounds of polishing (the second half of the schedule restarted from the best candidates), stopped
    /// early when a round gains less than 1 %.
    public var polishRounds: Int

    /// When set, the search also keeps the best isometric candidate whose mean pairwise distance is at
    /// least this fraction of f's (`FStarResult.keepingSpread`): the nearest separated embedding that
    /// is not a collapse, which the collapse risk compares with the collapse itself.
    public var minContraction: Double?

    /// Threads of the exact distances the candidates are certified with (the descents' matrix products
    /// use OpenBLAS's threads, which the job sets). A setting of the run, not of the search: the
    /// results are the same for any value, and it is not coded.
    public var threads = 1

    enum CodingKeys: String, CodingKey { case iterations, checkEvery, shrinkFactors, polishRounds, minContraction }

    public init(iterations: Int = 0, checkEvery: Int = 0, shrinkFactors: [Double] = [0.5], polishRounds: Int = 3, minContraction: Double? = nil,
                threads: Int = 1) {
        self.threads = threads
        self.iterations = iterations
        self.checkEvery = checkEvery
        self.shrinkFactors = shrinkFactors
        self.polishRounds = polishRounds
        self.minContraction = minContraction
    }

    /// Above this many points the search takes its large-set path: 40 iterations per descent, the
    /// descents' products in Float32 (`FStarSolver.singlePrecision`), and no class-shrink starts. On six
    /// sets of 1,500 to 2,000 points (the probes of 20,000 × 256 and 60,000 × 512 benchmark embeddings,
    /// the raw digits, three blob sets) the shrink starts never improved either bracket, and with 40
    /// iterations the brackets were as good as or better than the 80-iteration search before
    /// `FStarDescent.stepCoordinates` (docs/estimators.md, *Estimators at scale*).
    public static let largeSet = 1000

    /// From this many dimensions the large-set path's search also repairs and measures its candidates
    /// in Float32 products (`FStarSolver.measure`): exact distances cost about n per pair against
    /// about n/8 plus a constant for Float32 products, and only at high n is the difference a visible
    /// part of the search (at n = 512 about a tenth of the 2,000-point probe's estimators; at n = 64
    /// nothing measurable, so the exact choices are kept there).
    public static let singleMeasureDimension = 256

    /// Iterations and check interval for a set of `count` points.
    func schedule(count: Int) -> (iterations: Int, checkEvery: Int) {
        // Chosen so a set of 1000 points stays within about 5 s on one core (an iteration is O(N²·n)),
        // and the 2,000-point probe of a 512-D embedding within about 10 s (the large-set path).
        let large = count > FStarOptions.largeSet
        let iterations = self.iterations > 0 ? self.iterations : (count <= 50 ? 2000 : count <= 300 ? 600 : count <= 600 ? 250 : large ? 40 : 80)
        let checkEvery = self.checkEvery > 0 ? self.checkEvery : (count <= 50 ? 10 : count <= 300 ? 30 : 40)
        return (iterations, checkEvery)
    }
}

/// A certified candidate f*: separated by the exact check, with its distances to f.
public struct FStarCandidate: Sendable {
    public var points: Matrix<Double>
    public var discrepancy: Discrepancy
    /// Its mean pairwise distance (from the distances it was measured with: exact, except for the
    /// proposals of a search on Float32 products, `FStarSolver.measure`).
    public var meanPairwiseDistance: Double
}

/// The best feasible candidates found, one per objective.
public struct FStarResult: Sendable {
    /// Smallest isometric error (upper bound of d_iso).
    public var isometric: FStarCandidate
    /// Smallest pointwise distance (upper bound of d_haus).
    public var hausdorff: FStarCandidate
    /// Feasible candidates certified during the search.
    public var candidatesCertified: Int
    /// With `FStarOptions.minContraction`: the smallest isometric error among the certified candidates
    /// that keep at least that fraction of f's mean pairwise distance; nil when none did (or not asked).
    public var keepingSpread: FStarCandidate?
    /// f's canonical frame (principal axes and variances), for other estimators of the same points.
    public var frame: CanonicalFrame?
}

//// Searches for f* near a labelled embedding f.
final class FStarSolver {
    enum Objective { case isometric, pointwise }

    let f: LabeledPoints
    let options: FStarOptions
    let fSquared: Matrix<Double>
    let fDistances: [Double]
    let n: Int
    let dim: Int
    /// Distance scale of f (RMS pairwise distance).
    let scale: Double
    /// The size of the moves f* needs: L_hard, kept within [1e-9, 1]·scale. Step sizes, temperatures and
    /// the penalty margin are set relative to it, so the search is scale-invariant and also resolves a
    /// violation much smaller than the set.
    let unit: Double
    var bestIsometric: FStarCandidate?
    var bestPointwise: FStarCandidate?
    var bestKeepingSpread: FStarCandidate?
    /// Whether the descents take their products in Float32: above `FStarOptions.largeSet` points, when
    /// the moves are not too fine for it. A Float32 squared distance is off by about 2⁻²⁴·√n times the
    /// squared norms (the frame is centred with unit RMS distance, so about 1e-6 at n = 512), far below
    /// the descent's finest scales (its margin 1e-3·unit and last temperature 2e-3·unit) once
    /// unit ≥ 0.01·scale. The candidates are certified on exact Double distances either way.
    let singlePrecision: Bool
    /// The descents' buffers (allocated at the first descent, then reused).
    lazy var workspace = FStarWorkspace(n: n, dim: dim, single: singlePrecision, classes: f.classes)
    /// f's mean pairwise distance (only with `options.minContraction`).
    let fMeanDistance: Double
    var certified = 0
    /// Receives the seconds of each start and polishing round (nil: not measured).
    let times: PartTimes?

    /// How candidates are repaired and measured: `.single` (Float32 products) for the search in the
    /// canonical frame on the large-set path, whose candidates are only proposals that `solve` repairs
    /// and measures again on exact distances in the input's frame; `.exact` otherwise. The certified
    /// bounds therefore never rest on Float32 distances; the search's choices among its candidates
    /// (which to polish, which to propose) may differ from exact ones by that rounding.
    let measure: LabeledPoints.Measure

    /// `squaredDistances`: f's exact squared distances when the caller has them (else computed here).
    /// `searchOnly`: the candidates are proposals that are certified again elsewhere (see `measure`).
    init(f: LabeledPoints, squaredDistances: Matrix<Double>? = nil, options: FStarOptions, times: PartTimes? = nil, searchOnly: Bool = false) {
        self.f = f
        self.options = options
        self.times = times
        n = f.count
        dim = f.dimension
        fSquared = squaredDistances ?? exactPairwiseSquaredDistances(f.points, threads: options.threads)
        fDistances = fSquared.storage.map { $0.squareRoot() }
        let meanSquare = fSquared.storage.reduce(0, +) / Double(max(n * (n - 1), 1))
        scale = meanSquare.squareRoot()
        let lHard = LabeledPoints.separation(squaredDistances: fSquared, labels: f.labels).hardestLoss
        unit = min(max(lHard, 1e-9 * scale), scale)
        singlePrecision = n > FStarOptions.largeSet && unit >= 0.01 * scale
        measure = searchOnly && singlePrecision && dim >= FStarOptions.singleMeasureDimension ? .single : .exact
        fMeanDistance = options.minContraction == nil ? 0 : meanPairwiseDistance(squaredDistances: fSquared)
    }

    /// Repairs `y` to a separated candidate, measures it, and keeps it if it is the best for either objective.
    /// `squaredDistances`: y's exact squared distances when the caller has them.
    func consider(_ y: Matrix<Double>, squaredDistances: Matrix<Double>? = nil) {
        let repaired = f.repair(y, squaredDistances: squaredDistances, threads: options.threads, measure: measure)
        let d = Discrepancy(f: f, fDistances: fSquared, fRoots: fDistances, candidate: repaired.points, candidateDistances: repaired.squaredDistances)
        certified += 1
        let candidate = FStarCandidate(points: repaired.points, discrepancy: d,
                                       meanPairwiseDistance: meanPairwiseDistance(squaredDistances: repaired.squaredDistances))
        if bestIsometric == nil || d.isometric < bestIsometric!.discrepancy.isometric { bestIsometric = candidate }
        if bestPointwise == nil || d.pointwise < bestPointwise!.discrepancy.pointwise { bestPointwise = candidate }
        if let keep = options.minContraction, bestKeepingSpread == nil || d.isometric < bestKeepingSpread!.discrepancy.isometric,
           candidate.meanPairwiseDistance >= keep * fMeanDistance {
            bestKeepingSpread = candidate
        }
    }

    /// Searches in a canonical frame (centred, principal axes with fixed signs, unit RMS distance) so
    /// that the result does not depend on the input's position, orientation or scale, then maps the
    /// best candidates back and certifies them again in the original frame.
    /// `squaredDistances`: f's exact squared distances, when the caller has them.
    static func solve(_ f: LabeledPoints, squaredDistances: Matrix<Double>? = nil, options: FStarOptions, times: PartTimes? = nil) -> FStarResult {
        let frame = timed("f* canonical frame", times) { CanonicalFrame(f.points, reduced: true) }
        let inner = FStarSolver(f: f.with(points: frame.canonical), options: options, times: times, searchOnly: true).search(spansSpace: frame.spansSpace)
        let outer = timed("f* certified in the input's frame", times) {
            let outer = FStarSolver(f: f, squaredDistances: squaredDistances, options: options)
            // A separated f is its own f*, exactly (both errors 0), which the canonical frame's candidates
            // mapped back are only up to rounding. An f that is not separated was repaired in the canonical
            // frame as a start and a candidate, so its repair here would only repeat that.
            if LabeledPoints.certifiesSeparation(squaredDistances: outer.fSquared, labels: f.labels, dimension: f.dimension) {
                outer.consider(f.points, squaredDistances: outer.fSquared)
            }
            outer.consider(frame.original(inner.isometric.points))
            // Often one candidate is best for both objectives: it is certified once.
            if inner.hausdorff.points != inner.isometric.points { outer.consider(frame.original(inner.hausdorff.points)) }
            if let kept = inner.keepingSpread, kept.points != inner.isometric.points, kept.points != inner.hausdorff.points {
                outer.consider(frame.original(kept.points))
            }
            return outer
        }
        return FStarResult(isometric: outer.bestIsometric!, hausdorff: outer.bestPointwise!,
                           candidatesCertified: inner.candidatesCertified + outer.certified, keepingSpread: outer.bestKeepingSpread, frame: frame)
    }

    /// `spansSpace`: f's centred points span the whole space (then no start needs to leave their span).
    func search(spansSpace: Bool = false) -> FStarResult {
        let (repairedF, collapse) = timed("f* first candidates", times) {
            let repaired = f.repair(f.points, squaredDistances: fSquared, threads: options.threads, measure: measure)
            let repairedF = repaired.points
            consider(repairedF, squaredDistances: repaired.squaredDistances)
            let collapse = f.centroidCollapse(of: f.points)
            consider(collapse, squaredDistances: f.collapseSquaredDistances(collapse, threads: options.threads))
            return (repairedF, collapse)
        }
        // Already separated (this includes a fully collapsed f): f* = f, both errors 0.
        if bestIsometric!.discrepancy.isometric > 0 && scale > 0 {
            // The pointwise descent starts feasible (f repaired along its centroid blend) and then trades
            // the blend's uniform shrink for smaller moves of the points that set the maximum.
            var starts: [(String, Matrix<Double>, Objective)] = [("f", f.points, .isometric), ("f repaired", repairedF, .pointwise)]
            // Above `FStarOptions.largeSet` points the shrink starts are skipped (they never won there).
            if n <= FStarOptions.largeSet { for s in options.shrinkFactors { starts.append(("classes shrunk ×\(s)", LabeledPoints.blend(f.points, collapse, 1 - s), .isometric)) } }
            // The class-centroid collapse as a start too, where it is affordable: above 600 points it
            // never beat the other starts in our trials, and the collapse itself stays a candidate.
            if n <= 600 { starts.append(("centroid collapse", collapse, .isometric)) }
            // The perturbed starts exist to leave a rank-deficient f's span. Above 300 points (one such
            // start, an O(N²·n) descent) a spanning f has no span to leave and the start is skipped; it
            // changed neither bracket of `isomine bench estimators` (1000 × 32, 300 × 8, 200 × 3).
            if !(spansSpace && n > 300) { starts += perturbedStarts().enumerated().map { ("f perturbed \($0.offset + 1)", $0.element.0, $0.element.1) } }
            for (name, start, objective) in starts {
                timed("f* start: \(name) (\(objective))", times) { descend(from: start, objective: objective) }
            }
            timed("f* polishing", times) { polish() }
        }
        return FStarResult(isometric: bestIsometric!, hausdorff: bestPointwise!, candidatesCertified: certified, keepingSpread: bestKeepingSpread)
    }

    /// Restarts the second half of the schedule (lower temperature, stronger penalty, smaller steps)
    /// from the best candidate of each objective, while a round still gains: the full-schedule descents
    /// get the shape right early but are cut short by the budget at larger N (on 1,000 overlapping points
    /// in R³² three rounds took the d_iso and d_haus ratios from 2.5 to 1.2 and 1.5).
    func polish() {
        // A descent is deterministic: one restarted from the same candidate repeats itself, so an
        // objective whose best did not change since its last polishing descent is not run again.
        var lastStart: (iso: Matrix<Double>?, pointwise: Matrix<Double>?) = (nil, nil)
        for _ in 0..<options.polishRounds {
            let before = (bestIsometric!.discrepancy.isometric, bestPointwise!.discrepancy.pointwise)
            let iso = bestIsometric!.points
            if lastStart.iso != iso { lastStart.iso = iso; descend(from: iso, objective: .isometric, schedule: 0.6...1) }
            // Read after the isometric descent, which may have found a better pointwise candidate too.
            let pointwise = bestPointwise!.points
            if lastStart.pointwise != pointwise { lastStart.pointwise = pointwise; descend(from: pointwise, objective: .pointwise, schedule: 0.6...1) }
            let gained = bestIsometric!.discrepancy.isometric < 0.99 * before.0 || bestPointwise!.discrepancy.pointwise < 0.99 * before.1
            if !gained { break }
        }
    }

    /// Seeded starts that leave the affine span of f(X): f plus Gaussian noise in every coordinate of
    /// the full space, at scales relative to `unit`. Every other start, and every gradient term, is a
    /// combination of points of f, so without these a rank-deficient f (points on a line in R², the
    /// dimensional collapse the tool is for) can only reach f* inside its own span — a needlessly
    /// collapsed one. Small sets get more of them (a descent costs O(N²·n) per iteration).
    func perturbedStarts() -> [(Matrix<Double>, Objective)] {
        let sigmas: [Double] = n <= 12 ? (0..<24).map { [0.3, 1, 2, 4][$0 % 4] }
            : n <= 50 ? [0.3, 1, 0.3, 1, 2, 2] : n <= 300 ? [0.3, 1] : [0.3]
        var rng = SeededRNG(seed: 0x5EED_F57A, stream: UInt64(n))
        return sigmas.enumerated().map { index, sigma in
            var y = f.points
            for i in 0..<y.storage.count { y.storage[i] += sigma * unit * rng.normal() }
            return (y, index % 2 == 0 ? .isometric : .pointwise)
        }
    }

}

/// Centred principal-axis coordinates scaled to unit RMS pairwise distance, and the way back.
public struct CanonicalFrame: Sendable {
    public let mean: [Double]
    /// Principal axes as columns, by decreasing variance, each signed so its third moment is positive.
    public let axes: Matrix<Double>
    public let scale: Double
    /// Whether the centred points span every axis: the smallest principal variance above 1e-9 of the largest.
    public let spansSpace: Bool
    /// The principal variances (eigenvalues of the covariance, 1/N), ascending; empty when the
    /// eigensolver failed.
    public let variances: [Double]
    public let canonical: Matrix<Double>

    /// `reduced`: with fewer than half as many points as dimensions (2N < n), a frame of r + N axes
    /// instead of n (r ≤ N − 1 the rank of the centred points): their r principal axes, from the N × N
    /// Gram matrix, and N more orthonormal directions outside their span (a search must be able to leave
    /// it, see `FStarSolver.perturbedStarts`). That loses no f*: the N points of f and the N of any f*
    /// span an affine space of at most 2N − 1 dimensions, so an isometry fixing f's span moves every f*
    /// into its span plus any N further directions with f and every distance unchanged — d_iso and
    /// d_haus are the same over the smaller space. It is what keeps the step-0 risk of 128-point batches
    /// of 4096-D embeddings from an n³ eigenproblem and n-dimensional descents (minutes, not seconds).
    public init(_ x: Matrix<Double>, reduced: Bool = false) {
        mean = x.columnMeans
        let centred = x.centred(on: mean)
        let n = x.cols
        var axes: Matrix<Double>
        let variances: [Double]
        if reduced && 2 * x.rows < n, let spanned = CanonicalFrame.gramAxes(centred) {
            (axes, variances) = spanned
        } else {
            axes = Matrix<Double>(rows: n, cols: n)
            let eigen = SymmetricEigen(x.covariance)
            variances = eigen?.values ?? []
            if let eigen {
                for k in 0..<n { for i in 0..<n { axes[i, k] = eigen.vectors[i, n - 1 - k] } }
            } else {
                for k in 0..<n { axes[k, k] = 1 }
            }
        }
        self.variances = variances
        spansSpace = x.rows > n && (variances.first ?? 0) > 1e-9 * (variances.last ?? 0) && (variances.last ?? 0) > 0
        var projected = centred.matmul(axes)
        for k in 0..<axes.cols {
            var third = 0.0, extreme = 0.0
            for r in 0..<x.rows {
                let v = projected[r, k]
                third += v * v * v
                if abs(v) > abs(extreme) { extreme = v }
            }
            let flip = abs(third) > 1e-9 * Swift.max(abs(extreme * extreme * extreme), 1e-300) ? third < 0 : extreme < 0
            if flip {
                for i in 0..<n { axes[i, k] = -axes[i, k] }
                for r in 0..<x.rows { projected[r, k] = -projected[r, k] }
            }
        }
        // RMS distance from the centroid is the RMS pairwise distance over √2: either fixes the scale.
        let rms = (projected.storage.reduce(0) { $0 + $1 * $1 } / Double(Swift.max(x.rows, 1))).squareRoot()
        scale = rms > 0 ? rms : 1
        // Snap to a grid of 2⁻³⁰ (≈ 1e-9 of the RMS radius): a rotated or scaled copy of the input lands
        // on exactly the same canonical coordinates, so the (chaotic, discrete-choice) search runs the
        // same path and the bounds are invariant; certification is redone against the exact input.
        let grid = 1073741824.0
        for i in 0..<projected.storage.count { projected.storage[i] = (projected.storage[i] / scale * grid).rounded() / grid }
        self.axes = axes
        canonical = projected
    }

    /// The reduced frame's axes (n × (r + N), by decreasing variance) and variances (ascending, the
    /// added directions' 0 first), or nil when an eigensolver fails: the r principal axes of
    /// `GramPrincipalAxes`, with variance λ/N, then N added directions: seeded Gaussian vectors made
    /// orthogonal to the span (twice, for accuracy) and to each other (symmetric orthonormalisation,
    /// R·V·Λ^(−1/2)·Vᵀ from the eigenpairs of their N × N Gram matrix) — matrix products and one N³
    /// eigenproblem. With n ≥ 2N + 1 and r < N, random vectors leave more than N dimensions to fill, so
    /// they are independent almost surely; the points' coordinates along them are 0 whichever they are.
    static func gramAxes(_ centred: Matrix<Double>) -> (Matrix<Double>, [Double])? {
        let count = centred.rows, n = centred.cols
        guard let gram = GramPrincipalAxes(centred: centred) else { return nil }
        let spanned = gram.axes.count
        var span = Matrix<Double>(rows: n, cols: spanned)
        for (k, a) in gram.axes.enumerated() { for i in 0..<n { span[i, k] = a[i] } }
        var added = Matrix<Double>(rows: n, cols: count)
        var rng = SeededRNG(seed: 0xF5A3_E0AD, stream: UInt64(n))
        for i in 0..<added.storage.count { added.storage[i] = rng.normal() }
        if spanned > 0 {
            for _ in 0..<2 {
                let along = span.matmul(span.matmul(added, transposeSelf: true))
                for i in 0..<added.storage.count { added.storage[i] -= along.storage[i] }
            }
        }
        guard let inner = SymmetricEigen(added.matmul(added, transposeSelf: true)),
              let smallest = inner.values.first, smallest > 1e-12 * (inner.values.last ?? 0) else { return nil }
        // W = V·Λ^(−1/2)·Vᵀ, and the added directions R·W: orthonormal, as Wᵀ·RᵀR·W = I.
        var scaled = inner.vectors
        for r in 0..<count { for k in 0..<count { scaled[r, k] /= inner.values[k].squareRoot() } }
        let orthonormal = added.matmul(scaled.matmul(inner.vectors, transposeOther: true))
        var axes = Matrix<Double>(rows: n, cols: spanned + count)
        for i in 0..<n {
            for k in 0..<spanned { axes[i, k] = span[i, k] }
            for k in 0..<count { axes[i, spanned + k] = orthonormal[i, k] }
        }
        let variances = gram.values.map { $0 / Double(count) } + [Double](repeating: 0, count: count)
        return (axes, variances.reversed())
    }

    /// Canonical coordinates back to the original frame.
    public func original(_ z: Matrix<Double>) -> Matrix<Double> {
        var y = z.matmul(axes, transposeOther: true)
        for r in 0..<y.rows { for c in 0..<y.cols { y[r, c] = y[r, c] * scale + mean[c] } }
        return y
    }
}

extension LabeledPoints {
    /// The f* search alone, without the lower bounds: the best certified candidates found.
    public func searchFStar(options: FStarOptions = FStarOptions()) -> FStarResult {
        FStarSolver.solve(self, options: options)
    }
}
