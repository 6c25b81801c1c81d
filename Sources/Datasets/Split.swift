// Train/test splits: stratified by instance, or by disjoint classes (zero-shot retrieval protocol).
import Linalg

/// How to hold out evaluation data.
public enum SplitRule: Sendable, Equatable {
    /// Stratified: about `testFraction` of every class goes to the test split.
    case byInstance(testFraction: Double)
    /// Disjoint classes: about `testFraction` of the classes (at least one) are held out whole.
    case byClass(testFraction: Double)
}

/// A train split and the held-out split.
public struct DataSplit: Sendable {
    public var train: LabeledData
    public var test: LabeledData
}

extension SplitRule {
    /// Splits `data` with a seeded shuffle; both halves keep the original class ids and row order.
    public func apply(to data: LabeledData, rng: inout SeededRNG, field: String = "split") throws -> DataSplit {
        var trainIdx = [Int]()
        var testIdx = [Int]()
        let byClass = data.indicesByClass
        switch self {
        case .byInstance(let f):
            for var members in byClass where !members.isEmpty {
                rng.shuffle(&members)
                // Keep at least two training samples a class so every class has a positive pair.
                let k = min(Int((Double(members.count) * f).rounded()), members.count - 2)
                testIdx += members[0..<max(k, 0)]
                trainIdx += members[max(k, 0)...]
            }
        case .byClass(let f):
            var classes = byClass.indices.filter { !byClass[$0].isEmpty }
            guard classes.count >= 4 else {
                throw DatasetError(field: "\(field).by", "a class split needs at least 4 classes (2 to train, 2 to test); the dataset has \(classes.count)")
            }
            rng.shuffle(&classes)
            let k = min(max(Int((Double(classes.count) * f).rounded()), 2), classes.count - 2)
            for (i, c) in classes.enumerated() {
                if i < k { testIdx += byClass[c] } else { trainIdx += byClass[c] }
            }
        }
        trainIdx.sort()
        testIdx.sort()
        let split = DataSplit(train: data.subset(trainIdx), test: data.subset(testIdx))
        let testClassesWithPairs = split.test.indicesByClass.filter { $0.count >= 2 }.count
        if testClassesWithPairs == 0 {
            throw DatasetError(field: "\(field).test_fraction", "leaves no class with 2 or more test samples, so retrieval cannot be evaluated; raise it")
        }
        if split.test.indicesByClass.filter({ !$0.isEmpty }).count < 2 {
            throw DatasetError(field: "\(field).test_fraction", "leaves fewer than 2 classes in the test split; raise it")
        }
        return split
    }
}
