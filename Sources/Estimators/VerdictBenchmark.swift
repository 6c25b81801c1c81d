// `isomine bench verdicts`: generated embeddings whose status is known by construction, run through the
// verdict rule, with a confusion matrix and per-family accuracy.
import Isometry
import Foundation
import Linalg

/// A family of generated labelled embeddings and the verdict its construction implies.
public struct VerdictFamily: Sendable {
    public var name: String
    public var expected: VerdictLevel
    /// What the family is, in one sentence.
    public var description: String
    /// Points (N × n) and labels for a size, a dimension and a seed.
    public var make: @Sendable (_ count: Int, _ dim: Int, _ rng: inout SeededRNG) -> (Matrix<Double>, [Int])
    /// A factor the set and its margin α = 0.2 are scaled by after `make` (nil: none).
    public var scale: (@Sendable (_ rng: inout SeededRNG) -> Double)? = nil
}

/// One generated case and the verdict it got.
public struct VerdictCase: Sendable {
    public var family: String
    public var expected: VerdictLevel
    public var got: VerdictLevel
    public var count: Int
    public var dim: Int
    public var seed: UInt64
    public var reasons: [String]
}

public enum VerdictBenchmark {
    /// Class centres: `classes` random directions of norm `radius` (well apart in high dimension).
    static func centres(_ classes: Int, dim: Int, radius: Double, rng: inout SeededRNG) -> [[Double]] {
        (0..<classes).map { _ in
            let v = (0..<dim).map { _ in rng.normal() }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return v.map { radius * $0 / norm }
        }
    }

    /// Balanced labels 0..<classes for `count` points.
    static func labels(_ count: Int, _ classes: Int) -> [Int] { (0..<count).map { $0 % classes } }

    /// Clusters around `centres` with isotropic noise `sigma` (optionally only in the first `rank` coordinates).
    static func clusters(_ labels: [Int], _ centres: [[Double]], sigma: Double, rank: Int? = nil, rng: inout SeededRNG) -> Matrix<Double> {
        let dim = centres[0].count
        return Matrix(labels.map { c in (0..<dim).map { k in centres[c][k] + (k < (rank ?? dim) ? sigma * rng.normal() : 0) } })
    }

    static func normalised(_ x: Matrix<Double>) -> Matrix<Double> {
        var out = x
        for i in 0..<x.rows {
            let norm = x.row(i).reduce(0) { $0 + $1 * $1 }.squareRoot()
            for k in 0..<x.cols { out[i, k] = norm > 0 ? x[i, k] / norm : 0 }
        }
        return out
    }

    /// A healthy embedding: 8 classes, well separated clusters in Rⁿ.
    static func healthy(_ count: Int, _ dim: Int, _ rng: inout SeededRNG) -> (Matrix<Double>, [Int]) {
        let l = labels(count, 8)
        return (clusters(l, centres(8, dim: dim, radius: 6, rng: &rng), sigma: 0.5, rng: &rng), l)
    }

    /// Class means along the first `rank` axes, spaced so classes overlap (retrieval above chance, far from perfect).
    static func lowRank(_ count: Int, _ dim: Int, rank: Int, _ rng: inout SeededRNG) -> (Matrix<Double>, [Int]) {
        let l = labels(count, 8)
        // Rank 1: means 2σ apart on a line; rank 2: a 4 × 2 grid with spacing 2.4σ in a plane.
        func coordinate(_ k: Int, _ j: Int) -> Double {
            if j >= rank { return 0 }
            if rank == 1 { return 2 * Double(k) }
            return 2.4 * Double(j == 0 ? k % 4 : k / 4)
        }
        let c: [[Double]] = (0..<8).map { k in (0..<dim).map { j in coordinate(k, j) } }
        return (clusters(l, c, sigma: 1, rank: rank, rng: &rng), l)
    }

    /// 10 tight classes on the unit sphere inside a cap: class centres around a pole at angular radius
    /// set so that the mean pairwise distance is `spread`·√2 (a trained model on the sphere that fills a
    /// cap, not the sphere), each class a small cloud around its centre.
    static func cap(_ count: Int, _ dim: Int, spread: Double, _ rng: inout SeededRNG) -> (Matrix<Double>, [Int]) {
        let l = labels(count, 10)
        let pole = centres(1, dim: dim, radius: 1, rng: &rng)[0]
        let directions = centres(10, dim: dim, radius: 1, rng: &rng).map { d -> [Double] in
            // The part of a random direction orthogonal to the pole, unit length.
            let along = zip(d, pole).reduce(0) { $0 + $1.0 * $1.1 }
            let v = zip(d, pole).map { $0 - along * $1 }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return v.map { $0 / norm }
        }
        // Centres at angle θ from the pole; two of them about 2·sin(θ)·√(1/2)·√2 apart on average, so
        // the mean pairwise distance ≈ 0.9·√2·sin θ (10 classes): solve for the target.
        let theta = asin(min(1, spread / 0.9))
        let c = directions.map { d in zip(pole, d).map { cos(theta) * $0 + sin(theta) * $1 } }
        return (normalised(clusters(l, c, sigma: 0.02 * spread / Double(dim).squareRoot(), rng: &rng)), l)
    }

    /// The families of the benchmark.
    public static let families: [VerdictFamily] = [
        VerdictFamily(name: "healthy_separated", expected: .healthy, description: "8 well separated Gaussian clusters in Rⁿ") { n, d, rng in healthy(n, d, &rng) },
        VerdictFamily(name: "tight_balanced", expected: .healthy, description: "8 classes, each squeezed to a tight cluster (σ = 1e-3 of the centre distance)") { n, d, rng in
            let l = labels(n, 8)
            return (clusters(l, centres(8, dim: d, radius: 1, rng: &rng), sigma: 1e-3, rng: &rng), l)
        },
        VerdictFamily(name: "tight_unbalanced", expected: .healthy, description: "3 tight classes of 70 %, 20 % and 10 % of the points") { n, d, rng in
            let l = (0..<n).map { i in i < n * 7 / 10 ? 0 : i < n * 9 / 10 ? 1 : 2 }
            return (clusters(l, centres(3, dim: d, radius: 1, rng: &rng), sigma: 1e-3, rng: &rng), l)
        },
        VerdictFamily(name: "separated_on_a_line", expected: .healthy, description: "8 tight classes laid along one line of Rⁿ (rank 1, separated)") { n, d, rng in
            let l = labels(n, 8)
            let c = (0..<8).map { k in (0..<d).map { $0 == 0 ? Double(k) : 0 } }
            return (clusters(l, c, sigma: 0.05, rank: 1, rng: &rng), l)
        },
        VerdictFamily(name: "healthy_shifted", expected: .healthy, description: "the healthy family shifted by +100 in every coordinate") { n, d, rng in
            var (x, l) = healthy(n, d, &rng)
            for i in 0..<x.storage.count { x.storage[i] += 100 }
            return (x, l)
        },
        VerdictFamily(name: "healthy_scaled", expected: .healthy, description: "the healthy family scaled with its margin by 1e-4 or 1e4",
                      make: { n, d, rng in healthy(n, d, &rng) }, scale: { rng in rng.uniform() < 0.5 ? 1e-4 : 1e4 }),
        VerdictFamily(name: "separated_scaled_extreme", expected: .healthy,
                      description: "the healthy family scaled with its margin by 1e-30, 1e30, 1e-170 or 1e140 (outside Float32's range)",
                      make: { n, d, rng in healthy(n, d, &rng) }, scale: { rng in [1e-30, 1e30, 1e-170, 1e140][Int(rng.next() % 4)] }),
        VerdictFamily(name: "tight_in_cap", expected: .healthy,
                      description: "10 tight classes in a spherical cap of the unit sphere, mean distance 0.15–0.5 of √2 (α = 0.2)") { n, d, rng in
            cap(n, d, spread: 0.15 + 0.35 * rng.uniform(), &rng)
        },
        VerdictFamily(name: "tight_in_cap_one_moved", expected: .healthy,
                      description: "tight_in_cap with one point per class moved 45 % of the way toward a neighbouring class") { n, d, rng in
            var (x, l) = cap(n, d, spread: 0.15 + 0.35 * rng.uniform(), &rng)
            for c in 0..<10 {
                guard let i = l.firstIndex(of: c), let j = l.firstIndex(of: (c + 1) % 10) else { continue }
                for k in 0..<x.cols { x[i, k] += 0.45 * (x[j, k] - x[i, k]) }
            }
            return (normalised(x), l)
        },
        VerdictFamily(name: "tight_in_cap_norms_perturbed", expected: .healthy,
                      description: "tight_in_cap with every norm multiplied by 1 ± 1e-5 (no longer exactly on the sphere)") { n, d, rng in
            var (x, l) = cap(n, d, spread: 0.15 + 0.35 * rng.uniform(), &rng)
            for i in 0..<x.rows { let f = 1 + 1e-5 * (2 * rng.uniform() - 1); for k in 0..<x.cols { x[i, k] *= f } }
            return (x, l)
        },
        VerdictFamily(name: "healthy_rotated", expected: .healthy, description: "the healthy family under a random rotation and shift") { n, d, rng in
            let (x, l) = healthy(n, d, &rng)
            let r = randomRotation(d, &rng)
            var y = x.matmul(r)
            let shift = (0..<d).map { _ in 20 * rng.normal() }
            for i in 0..<y.rows { for k in 0..<d { y[i, k] += shift[k] } }
            return (y, l)
        },
        VerdictFamily(name: "healthy_on_sphere", expected: .healthy, description: "the healthy family L2-normalised onto the unit sphere") { n, d, rng in
            let (x, l) = healthy(n, d, &rng)
            return (normalised(x), l)
        },
        VerdictFamily(name: "one_point_on_sphere", expected: .collapsed, description: "every point near one point of the unit sphere (noise 1e-2), L2-normalised") { n, d, rng in
            let l = labels(n, 8)
            let c = centres(1, dim: d, radius: 1, rng: &rng)[0]
            return (normalised(Matrix(l.map { _ in c.map { $0 + 0.01 * rng.normal() } })), l)
        },
        VerdictFamily(name: "one_point_off_sphere", expected: .collapsed, description: "every point near one point far from the origin (noise 1e-2 at distance 50), not normalised") { n, d, rng in
            let l = labels(n, 8)
            let c = centres(1, dim: d, radius: 50, rng: &rng)[0]
            return (Matrix(l.map { _ in c.map { $0 + 0.01 * rng.normal() } }), l)
        },
        VerdictFamily(name: "rank1_overlapping", expected: .partial, description: "8 overlapping classes on a line (dimensional collapse to rank 1)") { n, d, rng in lowRank(n, d, rank: 1, &rng) },
        VerdictFamily(name: "rank2_overlapping", expected: .partial, description: "8 overlapping classes in a plane (dimensional collapse to rank 2)") { n, d, rng in lowRank(n, d, rank: 2, &rng) },
        VerdictFamily(name: "random_labels", expected: .collapsed, description: "the healthy geometry with labels shuffled (no class structure)") { n, d, rng in
            let (x, shuffled) = healthy(n, d, &rng)
            var l = shuffled
            rng.shuffle(&l)
            return (x, l)
        },
        VerdictFamily(name: "partially_merged", expected: .partial, description: "8 classes in 4 clusters: pairs of classes merged") { n, d, rng in
            let l = labels(n, 8)
            let c = centres(4, dim: d, radius: 6, rng: &rng)
            return (clusters(l.map { $0 / 2 }, c, sigma: 0.5, rng: &rng), l)
        },
    ]

    /// A random rotation (Gram–Schmidt on a Gaussian matrix).
    static func randomRotation(_ dim: Int, _ rng: inout SeededRNG) -> Matrix<Double> {
        var q = [[Double]]()
        while q.count < dim {
            var v = (0..<dim).map { _ in rng.normal() }
            for u in q { let d = zip(u, v).reduce(0) { $0 + $1.0 * $1.1 }; v = zip(v, u).map { $0 - d * $1 } }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm > 1e-6 { q.append(v.map { $0 / norm }) }
        }
        return Matrix(q)
    }

    /// Runs every family at each size, dimension and seed through the estimators and the verdict rule.
    public static func run(sizes: [Int], dims: [Int], seeds: Int, iterations: Int) throws -> [VerdictCase] {
        var cases = [VerdictCase]()
        for family in families {
            for count in sizes {
                for dim in dims {
                    for seed in 0..<UInt64(seeds) {
                        var rng = SeededRNG(seed: seed, stream: UInt64(count * 10_007 + dim))
                        var (x, labels) = family.make(count, dim, &rng)
                        var margin = 0.2
                        if let scale = family.scale?(&rng) {
                            for i in 0..<x.storage.count { x.storage[i] *= scale }
                            margin *= scale
                        }
                        let report = try EstimatorReport(points: x, labels: labels,
                                                         options: EstimatorOptions(seed: seed, fStar: FStarOptions(iterations: iterations), margin: margin))
                        cases.append(VerdictCase(family: family.name, expected: family.expected, got: report.verdict, count: count, dim: dim,
                                                 seed: seed, reasons: report.diagnosis.reasons.filter { $0.level > .healthy }.map(\.code.rawValue)))
                    }
                }
            }
        }
        return cases
    }
}
