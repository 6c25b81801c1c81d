// Datasets: builtins, NPY and CSV loaders, the data-root confinement, splits, standardisation, PK sampling.
import Foundation
import TestSupport
import Testing
import Linalg
@testable import Datasets

@Suite struct BuiltinTests {
    @Test func digitsIsTheUCISet() throws {
        let d = try BuiltinDatasets.digits()
        #expect(d.count == 1797 && d.dimension == 64 && d.classCount == 10)
        #expect(d.classNames == (0...9).map(String.init))
        let sizes = d.indicesByClass.map(\.count)
        #expect(sizes.min() == 174 && sizes.max() == 183)
        #expect(d.features.storage.allSatisfy { $0 >= 0 && $0 <= 16 && $0.rounded() == $0 })
        try d.validate()
    }

    @Test func generatedBuiltinsAreSeeded() throws {
        let p = BlobsParameters(classes: 4, perClass: 5, dim: 3, separation: 2, seed: 9)
        let a = BuiltinDatasets.blobs(p), b = BuiltinDatasets.blobs(p)
        #expect(a.count == 20 && a.dimension == 3 && a.classCount == 4)
        #expect(a.features == b.features)
        var q = p
        q.seed = 10
        #expect(BuiltinDatasets.blobs(q).features != a.features)
        let t5 = BuiltinDatasets.toy5(seed: 1), t20 = BuiltinDatasets.toy20(seed: 1)
        #expect(t5.count == 5 && t5.dimension == 2 && t5.labels == [0, 0, 0, 1, 1])
        #expect(t20.count == 20 && t20.dimension == 2 && t20.indicesByClass.map(\.count) == [10, 10])
        #expect(BuiltinDatasets.toy20(seed: 2).features != t20.features)
        try t5.validate()
    }
}

@Suite struct NPYTests {
    @Test func readsFloat32AndFloat64WithIntegerLabels() throws {
        let dir = TempFolder()
        let values: [Float] = [1, 2, 3, 4, 5, 6, 7, 8]
        dir.write("x32.npy", npy(descr: "<f4", shape: [4, 2], payload: float32Payload(values)))
        dir.write("x64.npy", npy(descr: "<f8", shape: [4, 2], payload: float64Payload(values.map(Double.init))))
        dir.write("y.npy", npy(descr: "<i8", shape: [4], payload: int64Payload([3, 3, -1, -1])))
        dir.write("y32.npy", npy(descr: "<i4", shape: [4], payload: int32Payload([0, 0, 1, 1])))
        for f in ["x32.npy", "x64.npy"] {
            let d = try DatasetSource.npy(features: f, labels: "y.npy").load(dataRoot: dir.root)
            #expect(d.features.storage == values && d.labels == [1, 1, 0, 0] && d.classNames == ["-1", "3"])
        }
        let d = try DatasetSource.npy(features: "x32.npy", labels: "y32.npy").load(dataRoot: dir.root)
        #expect(d.labels == [0, 0, 1, 1])
    }

    /// Mixed-precision training's embeddings (float16): read exactly, from a file (in chunks, so a set
    /// larger than one chunk) and from stored bytes; an infinite half is refused by row and column.
    @Test func readsFloat16Exactly() throws {
        let dir = TempFolder()
        let rows = 70_000, cols = 3
        // Halves of every kind: integers, fractions, subnormals (2⁻²⁴), the largest (65504), negatives.
        let halves: [Float] = [1, -2.5, 0.099975586, 5.9604645e-8, 65504, -0.33325195, 1024, 3.140625]
        let values = (0..<(rows * cols)).map { halves[$0 % halves.count] }
        let labels = (0..<rows).map { Int64($0 % 7) }
        dir.write("x16.npy", npy(descr: "<f2", shape: [rows, cols], payload: float16Payload(values)))
        dir.write("x32.npy", npy(descr: "<f4", shape: [rows, cols], payload: float32Payload(values)))
        dir.write("y.npy", npy(descr: "<i8", shape: [rows], payload: int64Payload(labels)))
        let half = try DatasetSource.npy(features: "x16.npy", labels: "y.npy").load(dataRoot: dir.root)
        let single = try DatasetSource.npy(features: "x32.npy", labels: "y.npy").load(dataRoot: dir.root)
        #expect(half.features == single.features && half.labels == single.labels)
        #expect(half.conversion == single.conversion)
        let stored = try NPYLoader.load(features: npy(descr: "<f2", shape: [rows, cols], payload: float16Payload(values)),
                                        labels: npy(descr: "<i8", shape: [rows], payload: int64Payload(labels)),
                                        name: "x", featuresField: "features", labelsField: "labels")
        #expect(stored.features == single.features)
        var infinite = Array(values.prefix(8 * cols))
        infinite[5 * cols + 2] = .infinity
        dir.write("inf16.npy", npy(descr: "<f2", shape: [8, cols], payload: float16Payload(infinite)))
        dir.write("y8.npy", npy(descr: "<i8", shape: [8], payload: int64Payload((0..<8).map { Int64($0 % 2) })))
        do {
            _ = try DatasetSource.npy(features: "inf16.npy", labels: "y8.npy").load(dataRoot: dir.root)
            Issue.record("an infinite half was read")
        } catch let e as DatasetError {
            #expect(e.description == "dataset.features: row 5, column 2 is infinite; remove or impute non-finite values")
        }
    }

    /// The other layouts numpy writes: Fortran order (np.save of a transposed array, as a torch tensor's
    /// .T.numpy() is) and big-endian dtypes, features and labels, from files and from stored bytes:
    /// read as the same values as the C-ordered little-endian file, and rewritten so for upload.
    /// `normalize` (an analysis of raw outputs a loss normalises): every row of unit norm, computed on the
    /// input's own values — magnitudes near 1e200 (scaled on the way in) and a tight cloud far from the origin
    /// (centred on the way in) keep their directions; a zero row stays zero, as torch's F.normalize leaves it.
    @Test func rowsAreNormalisedOnTheInputsOwnValues() throws {
        let given: [[Double]] = [[3e200, 4e200, 0], [0, 0, 0], [1e200, 0, -1e200],
                                 [1e6, 1e6 + 1, 1e6], [1e6 + 1, 1e6, 1e6], [1e6, 1e6, 1e6 + 1]]
        for rows in [Array(0..<3), Array(3..<6)] {
            let values = rows.flatMap { given[$0] }
            var data = try NPYLoader.load(features: npy(descr: "<f8", shape: [3, 3], payload: float64Payload(values)),
                                          labels: npy(descr: "<i8", shape: [3], payload: int64Payload([0, 0, 1])), name: "x",
                                          featuresField: "f", labelsField: "l")
            data.normalizeRows()
            for (i, r) in rows.enumerated() {
                let scale = given[r].map(abs).max() ?? 0
                let norm = scale > 0 ? given[r].reduce(0) { $0 + ($1 / scale) * ($1 / scale) }.squareRoot() * scale : 0
                for j in 0..<3 {
                    let got = Double(data.features[i, j]) * data.conversion.unit + (data.conversion.offset?[j] ?? 0)
                    let want = norm > 0 ? given[r][j] / norm : 0
                    #expect(abs(got - want) < 1e-7, "row \(r), column \(j): \(got) against \(want)")
                }
            }
            // The far cloud's directions differ by ~1e-6: kept to Float32's precision of the differences.
            if rows.first == 3 {
                let d01 = (0..<3).map { Double(data.features[0, $0]) - Double(data.features[1, $0]) }
                let want = (0..<3).map { given[3][$0] / 1_732_051.3 - given[4][$0] / 1_732_051.3 }
                #expect(zip(d01, want).allSatisfy { abs($0 - $1) < 1e-3 * 1e-6 }, "\(d01) \(want)")
            }
        }
    }

    @Test func readsFortranOrderAndBigEndian() throws {
        let dir = TempFolder()
        let rows = 5, cols = 3
        let values: [Float] = (0..<(rows * cols)).map { Float($0) * 0.75 - 4 }
        let labels: [Int64] = [0, 0, 1, 1, 1]
        // Column-major: element (i, j) at j · rows + i.
        let columnMajor = (0..<(rows * cols)).map { k in values[(k % rows) * cols + k / rows] }
        func bigEndian(_ bytes: [UInt8], width: Int) -> [UInt8] {
            stride(from: 0, to: bytes.count, by: width).flatMap { bytes[$0..<($0 + width)].reversed() }
        }
        dir.write("c.npy", npy(descr: "<f4", shape: [rows, cols], payload: float32Payload(values)))
        dir.write("f.npy", npy(descr: "<f4", shape: [rows, cols], payload: float32Payload(columnMajor), fortran: true))
        dir.write("be.npy", npy(descr: ">f4", shape: [rows, cols], payload: bigEndian(float32Payload(values), width: 4)))
        dir.write("fbe64.npy", npy(descr: ">f8", shape: [rows, cols], payload: bigEndian(float64Payload(columnMajor.map(Double.init)), width: 8), fortran: true))
        dir.write("c64.npy", npy(descr: "<f8", shape: [rows, cols], payload: float64Payload(values.map(Double.init))))
        dir.write("be16.npy", npy(descr: ">f2", shape: [rows, cols], payload: bigEndian(float16Payload(values), width: 2)))
        dir.write("y.npy", npy(descr: "<i8", shape: [rows], payload: int64Payload(labels)))
        dir.write("ybe.npy", npy(descr: ">i4", shape: [rows], payload: bigEndian(int32Payload(labels.map(Int32.init)), width: 4)))
        let reference = try DatasetSource.npy(features: "c.npy", labels: "y.npy").load(dataRoot: dir.root)
        for (x, y) in [("f.npy", "y.npy"), ("be.npy", "ybe.npy"), ("be16.npy", "y.npy")] {
            let d = try DatasetSource.npy(features: x, labels: y).load(dataRoot: dir.root)
            #expect(d.features == reference.features && d.labels == reference.labels, "\(x)")
        }
        let reference64 = try DatasetSource.npy(features: "c64.npy", labels: "y.npy").load(dataRoot: dir.root)
        let d64 = try DatasetSource.npy(features: "fbe64.npy", labels: "ybe.npy").load(dataRoot: dir.root)
        #expect(d64.features == reference64.features && d64.conversion == reference64.conversion)
        // Rewritten bytes are the C-ordered little-endian file, bit for bit; such a file is left as it is.
        let fortran = npy(descr: "<f4", shape: [rows, cols], payload: float32Payload(columnMajor), fortran: true)
        #expect(try NPYLoader.canonical(fortran, field: "x") == NPYWriter.header(descr: "<f4", shape: [rows, cols]) + float32Payload(values))
        #expect(try NPYLoader.canonical(npy(descr: "<f4", shape: [rows, cols], payload: float32Payload(values)), field: "x") == nil)
        #expect(try NPYLoader.canonical(npy(descr: ">i4", shape: [rows], payload: bigEndian(int32Payload(labels.map(Int32.init)), width: 4)), field: "y")
                == NPYWriter.header(descr: "<i4", shape: [rows]) + int32Payload(labels.map(Int32.init)))
        // A Fortran-ordered file shorter than its shape is still named as truncated.
        dir.write("fshort.npy", npy(descr: "<f4", shape: [rows, cols], payload: float32Payload(Array(columnMajor.prefix(7))), fortran: true))
        do {
            _ = try DatasetSource.npy(features: "fshort.npy", labels: "y.npy").load(dataRoot: dir.root)
            Issue.record("a truncated Fortran-ordered file was read")
        } catch let e as DatasetError {
            #expect(e.description.contains("is truncated"), "\(e.description)")
        }
    }

    @Test func rejectsWhatItCannotRead() throws {
        let dir = TempFolder()
        let good = npy(descr: "<f4", shape: [4, 2], payload: float32Payload([1, 2, 3, 4, 5, 6, 7, 8]))
        dir.write("x.npy", good)
        dir.write("y.npy", npy(descr: "<i8", shape: [4], payload: int64Payload([0, 0, 1, 1])))
        dir.write("int.npy", npy(descr: "<i4", shape: [4, 2], payload: int32Payload([1, 2, 3, 4, 5, 6, 7, 8])))
        dir.write("bigcomplex.npy", npy(descr: ">c8", shape: [4, 2], payload: [UInt8](repeating: 0, count: 64)))
        dir.write("cube.npy", npy(descr: "<f4", shape: [2, 2, 2], payload: float32Payload([1, 2, 3, 4, 5, 6, 7, 8])))
        dir.write("short.npy", npy(descr: "<f4", shape: [4, 2], payload: float32Payload([1, 2, 3])))
        dir.write("y3.npy", npy(descr: "<i8", shape: [3], payload: int64Payload([0, 0, 1])))
        dir.write("yfloat.npy", npy(descr: "<f8", shape: [4], payload: float64Payload([0, 0, 1, 1])))
        dir.write("empty.npy", [])
        dir.write("text.npy", Array("hello world, not numpy".utf8))
        let cases: [(String, String, String)] = [
            ("int.npy", "y.npy", "dataset.features: has dtype '<i4'; features must be little-endian float16 ('<f2'), float32 ('<f4') or float64 ('<f8')"),
            ("bigcomplex.npy", "y.npy", "dataset.features: has dtype '>c8', which is big-endian; isomine reads little-endian NPY"),
            ("cube.npy", "y.npy", "dataset.features: has shape (2, 2, 2); features must be a 2-D array (N, D)"),
            ("short.npy", "y.npy", "dataset.features: is truncated: 12 data bytes for shape (4, 2) of <f4"),
            ("x.npy", "y3.npy", "dataset.labels: has 3 labels but dataset.features has 4 rows"),
            ("x.npy", "yfloat.npy", "dataset.labels: has dtype '<f8'; labels must be little-endian integers (e.g. '<i8')"),
            ("empty.npy", "y.npy", "dataset.features: is an empty file"),
            ("text.npy", "y.npy", "dataset.features: is not an NPY file (missing the \\x93NUMPY magic)"),
        ]
        for (x, y, message) in cases {
            #expect(throws: DatasetError.self) { try DatasetSource.npy(features: x, labels: y).load(dataRoot: dir.root) }
            do {
                _ = try DatasetSource.npy(features: x, labels: y).load(dataRoot: dir.root)
            } catch let e as DatasetError {
                #expect(e.description == message)
            }
        }
    }
}

@Suite struct CSVTests {
    @Test func labelColumnByIndexNegativeIndexAndName() throws {
        let dir = TempFolder()
        dir.write("a.csv", "1,2,cat\n3,4,cat\n5,6,dog\n7,8,dog\n")
        dir.write("b.csv", "label,x,y\r\n0,1,2\r\n0,3,4\r\n1,5,6\r\n1,7,8\r\n")
        let a = try DatasetSource.csv(path: "a.csv", labelColumn: .index(-1), header: false).load(dataRoot: dir.root)
        #expect(a.features.storage == [1, 2, 3, 4, 5, 6, 7, 8] && a.labels == [0, 0, 1, 1] && a.classNames == ["cat", "dog"])
        let b = try DatasetSource.csv(path: "b.csv", labelColumn: .name("label"), header: true).load(dataRoot: dir.root)
        #expect(b.features.storage == [1, 2, 3, 4, 5, 6, 7, 8] && b.labels == [0, 0, 1, 1])
        let c = try DatasetSource.csv(path: "b.csv", labelColumn: .index(0), header: true).load(dataRoot: dir.root)
        #expect(c.features == b.features)
    }

    @Test func badCSVIsNamed() throws {
        let dir = TempFolder()
        dir.write("header.csv", "x,y,label\n1,2,0\n3,4,0\n5,6,1\n7,8,1\n")
        dir.write("ragged.csv", "1,2,0\n3,0\n5,6,1\n")
        dir.write("empty.csv", "")
        dir.write("nan.csv", "1,2,0\n3,nan,0\n5,6,1\n7,8,1\n")
        dir.write("inf.csv", "1,2,0\n3,4,0\n5,inf,1\n7,8,1\n")
        dir.write("oneclass.csv", "1,2,0\n3,4,0\n")
        dir.write("single.csv", "1,2,0\n3,4,0\n5,6,1\n7,8,2\n9,9,2\n")
        let cases: [(String, LabelColumn, String)] = [
            ("header.csv", .index(-1), "dataset: 'header.csv' line 1, column 1: 'x' is not a number (set dataset.header to true if the file has a header row)"),
            ("ragged.csv", .index(-1), "dataset: 'ragged.csv' line 2 has 2 columns, expected 3"),
            ("empty.csv", .index(-1), "dataset.path: 'empty.csv' is an empty file"),
            ("nan.csv", .index(-1), "dataset: row 1, column 1 is NaN; remove or impute non-finite values"),
            ("inf.csv", .index(-1), "dataset: row 2, column 1 is infinite; remove or impute non-finite values"),
            ("oneclass.csv", .index(-1), "dataset: has a single class ('0'); triplet loss needs at least 2 classes"),
            ("single.csv", .index(-1), "dataset: class '1' has a single sample; every class needs at least 2 (a positive pair)"),
            ("header.csv", .index(5), "dataset.label_column: 5 is outside the 3 columns of 'header.csv'"),
            ("header.csv", .name("label"), "dataset.label_column: a column name needs dataset.header set to true"),
        ]
        for (file, column, message) in cases {
            do {
                _ = try DatasetSource.csv(path: file, labelColumn: column, header: false).load(dataRoot: dir.root)
                Issue.record("\(file) loaded")
            } catch let e as DatasetError {
                #expect(e.description == message)
            }
        }
    }

    @Test func gzipCSVIsRead() throws {
        let dir = TempFolder()
        // The embedded digits file is gzip: copy its bytes as a user file.
        dir.write("digits.csv.gz", PackageResources.digits_csv_gz)
        let d = try DatasetSource.csv(path: "digits.csv.gz", labelColumn: .index(-1), header: false).load(dataRoot: dir.root)
        #expect(d.count == 1797)
        var corrupt = PackageResources.digits_csv_gz
        corrupt.removeLast(30_000)
        dir.write("bad.csv.gz", corrupt)
        #expect(throws: DatasetError.self) {
            try DatasetSource.csv(path: "bad.csv.gz", labelColumn: .index(-1), header: false).load(dataRoot: dir.root)
        }
    }
}

@Suite struct DataRootTests {
    @Test func pathsStayInsideTheRoot() throws {
        let dir = TempFolder()
        dir.write("inside/a.csv", "1,0\n2,0\n3,1\n4,1\n")
        let outside = TempFolder()
        outside.write("secret.csv", "1,0\n2,0\n3,1\n4,1\n")
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/link.csv", withDestinationPath: outside.path + "/secret.csv")
        #expect(try dir.root.resolve("inside/a.csv", field: "f").hasSuffix("/inside/a.csv"))
        let cases: [(String, String)] = [
            (outside.path + "/secret.csv", "is absolute"),
            ("../" + (outside.path as NSString).lastPathComponent + "/secret.csv", "contains '..'"),
            ("inside/../../x.csv", "contains '..'"),
            ("link.csv", "resolves outside the data root"),
            ("missing.csv", "does not exist under the data root"),
            ("inside", "is a directory"),
            ("", "is empty"),
        ]
        for (path, fragment) in cases {
            do {
                _ = try dir.root.resolve(path, field: "dataset.path")
                Issue.record("\(path) resolved")
            } catch let e as DatasetError {
                #expect(e.field == "dataset.path")
                #expect(e.message.contains(fragment), "\(e.message)")
            }
        }
    }

    @Test func environmentDefault() {
        #expect(DataRoot.fromEnvironment([:]).path.hasSuffix("/data"))
        #expect(DataRoot.fromEnvironment(["ISOMINE_DATA_ROOT": "/tmp"]).path == DataRoot(path: "/tmp").path)
    }
}

@Suite struct SplitTests {
    @Test func instanceSplitIsStratified() throws {
        let d = try BuiltinDatasets.digits()
        var rng = SeededRNG(seed: 0)
        let s = try SplitRule.byInstance(testFraction: 0.3).apply(to: d, rng: &rng)
        #expect(s.train.count + s.test.count == 1797)
        for (c, members) in d.indicesByClass.enumerated() {
            let t = s.test.labels.filter { $0 == c }.count
            #expect(t == Int((Double(members.count) * 0.3).rounded()))
        }
        var again = SeededRNG(seed: 0)
        #expect(try SplitRule.byInstance(testFraction: 0.3).apply(to: d, rng: &again).test.features == s.test.features)
    }

    @Test func classSplitHoldsOutWholeClasses() throws {
        let d = try BuiltinDatasets.digits()
        var rng = SeededRNG(seed: 1)
        let s = try SplitRule.byClass(testFraction: 0.5).apply(to: d, rng: &rng)
        let train = Set(s.train.labels), test = Set(s.test.labels)
        #expect(train.isDisjoint(with: test) && train.count == 5 && test.count == 5)
        var r2 = SeededRNG(seed: 1)
        #expect(throws: DatasetError.self) { try SplitRule.byClass(testFraction: 0.5).apply(to: BuiltinDatasets.toy20(), rng: &r2) }
    }

    @Test func standardiserUsesTrainingStatisticsOnly() {
        let train = Matrix<Float>([[0, 5], [2, 5], [4, 5]])
        let s = Standardizer(fitting: train)
        #expect(s.mean == [2, 5])
        #expect(abs(s.scale[0] - (8.0 / 3.0).squareRoot()) < 1e-6 && s.scale[1] == 1)  // constant column: centred only
        let t = s.apply(Matrix<Float>([[2, 7]]))
        #expect(t[0, 0] == 0 && t[0, 1] == 2)
    }
}

@Suite struct PKSamplerTests {
    @Test func batchesHavePClassesOfKAndCoverEveryoneOnce() throws {
        // 4 classes of 8 samples; P = 2, K = 4: four batches make one epoch of 32 samples.
        let labels = (0..<32).map { $0 / 8 }
        var rng = SeededRNG(seed: 4)
        var s = try PKSampler(labels: labels, classesPerBatch: 2, samplesPerClass: 4, rng: &rng)
        var batch = [Int](repeating: 0, count: 8)
        var seen = [Int: Int]()
        for _ in 0..<4 {
            s.next(into: &batch, rng: &rng)
            let classes = stride(from: 0, to: 8, by: 4).map { labels[batch[$0]] }
            #expect(Set(classes).count == 2)
            for slot in 0..<8 { #expect(labels[batch[slot]] == classes[slot / 4]) }
            #expect(Set(batch).count == 8)
            for i in batch { seen[i, default: 0] += 1 }
        }
        #expect(seen.count == 32 && seen.values.allSatisfy { $0 == 1 })
    }

    @Test func smallClassesAreDrawnWithReplacement() throws {
        let labels = [0, 0, 1, 1, 1, 1, 1, 1]
        var rng = SeededRNG(seed: 4)
        var s = try PKSampler(labels: labels, classesPerBatch: 2, samplesPerClass: 4, rng: &rng)
        var batch = [Int](repeating: 0, count: 8)
        for _ in 0..<10 {
            s.next(into: &batch, rng: &rng)
            #expect(batch.filter { labels[$0] == 0 }.count == 4)
            #expect(batch.filter { labels[$0] == 0 }.allSatisfy { $0 < 2 })
        }
    }

    @Test func impossibleShapesAreErrors() {
        var rng = SeededRNG(seed: 1)
        let labels = [0, 0, 1, 1]
        #expect(throws: DatasetError(field: "sampler.classes_per_batch", "3 exceeds the 2 classes of the training split")) {
            try PKSampler(labels: labels, classesPerBatch: 3, samplesPerClass: 2, rng: &rng)
        }
        #expect(throws: DatasetError(field: "sampler.samples_per_class", "must be at least 2")) {
            try PKSampler(labels: labels, classesPerBatch: 2, samplesPerClass: 1, rng: &rng)
        }
    }
}
