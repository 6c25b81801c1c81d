// The builtin datasets: UCI digits (embedded), Gaussian blobs and the paper's toy sets in R².
import Linalg

/// Parameters of the `blobs` builtin: Gaussian classes around random centres.
public struct BlobsParameters: Sendable, Equatable, Codable {
    public var classes: Int
    public var perClass: Int
    public var dim: Int
    /// Standard deviation of the class centres; points have unit variance around their centre.
    public var separation: Double
    public var seed: UInt64

    public init(classes: Int = 10, perClass: Int = 100, dim: Int = 32, separation: Double = 3.0, seed: UInt64 = 0) {
        self.classes = classes
        self.perClass = perClass
        self.dim = dim
        self.separation = separation
        self.seed = seed
    }
}

/// Generators and the embedded copy of the builtin datasets.
public enum BuiltinDatasets {
    /// Names accepted by `dataset.type` for builtins.
    public static let names = ["digits", "blobs", "toy5", "toy20"]

    /// UCI optical digits (1797 × 64, labels 0..9), decoded from the gzip embedded in the binary.
    public static func digits() throws -> LabeledData {
        try CSVLoader.parse(PackageResources.digits_csv_gz, name: "digits", field: "dataset")
    }

    /// `classes` Gaussian classes in `dim` dimensions: centres ~ N(0, separation²·I), points ~ N(centre, I).
    public static func blobs(_ p: BlobsParameters) -> LabeledData {
        var rng = SeededRNG(seed: p.seed, stream: 0xB10B)
        var centres = [Double](repeating: 0, count: p.classes * p.dim)
        for i in 0..<centres.count { centres[i] = rng.normal() * p.separation }
        var values = [Float]()
        values.reserveCapacity(p.classes * p.perClass * p.dim)
        var labels = [Int]()
        for c in 0..<p.classes {
            for _ in 0..<p.perClass {
                for k in 0..<p.dim { values.append(Float(centres[c * p.dim + k] + rng.normal())) }
                labels.append(c)
            }
        }
        return LabeledData(name: "blobs", features: Matrix(rows: labels.count, cols: p.dim, storage: values),
                           labels: labels, classNames: (0..<p.classes).map(String.init))
    }

    /// The paper's 5-point toy: 2 classes (3 + 2 points) uniform in the unit square of R².
    public static func toy5(seed: UInt64 = 0) -> LabeledData {
        toy(name: "toy5", labels: [0, 0, 0, 1, 1], seed: seed)
    }

    /// The paper's 20-point toy: 2 classes (10 + 10 points) uniform in the unit square of R².
    public static func toy20(seed: UInt64 = 0) -> LabeledData {
        toy(name: "toy20", labels: Array(repeating: 0, count: 10) + Array(repeating: 1, count: 10), seed: seed)
    }

    private static func toy(name: String, labels: [Int], seed: UInt64) -> LabeledData {
        var rng = SeededRNG(seed: seed, stream: 0x70A)
        let values = (0..<(labels.count * 2)).map { _ in Float(rng.uniform()) }
        return LabeledData(name: name, features: Matrix(rows: labels.count, cols: 2, storage: values),
                           labels: labels, classNames: ["0", "1"])
    }

    /// One line per builtin with its size, for `isomine datasets`.
    public static func catalog() throws -> [(name: String, rows: Int, dim: Int, classes: Int, about: String)] {
        let d = try digits()
        let b = blobs(BlobsParameters())
        return [
            ("digits", d.count, d.dimension, d.classCount, "UCI optical handwritten digits 8x8 (Alpaydin & Kaynak 1998, CC BY 4.0), as shipped by scikit-learn"),
            ("blobs", b.count, b.dimension, b.classCount, "Gaussian classes; sizes shown for the defaults classes=10 per_class=100 dim=32 separation=3"),
            ("toy5", 5, 2, 2, "paper toy: 3 + 2 points uniform in the unit square of R^2, from a seed"),
            ("toy20", 20, 2, 2, "paper toy: 10 + 10 points uniform in the unit square of R^2, from a seed"),
        ]
    }
}
