// PK batches: P classes × K samples, cycling through classes and through each class's samples.
import Linalg

/// A shuffled cycle over items: takes distinct items, reshuffling when an epoch is used up.
public struct CyclicQueue: Sendable, Codable, Equatable {
    public private(set) var items: [Int]
    public private(set) var position: Int

    public init(items: [Int], rng: inout SeededRNG) {
        var shuffled = items
        rng.shuffle(&shuffled)
        self.items = shuffled
        self.position = 0
    }

    /// Writes `count` distinct items (count ≤ items.count) to `out[offset...]`.
    ///
    /// Every item is taken once per pass; at the end of a pass the queue is reshuffled and the items
    /// already taken for this request are moved to the back, so one request never repeats an item.
    mutating func take(_ count: Int, into out: inout [Int], at offset: Int, rng: inout SeededRNG) {
        var taken = 0
        while taken < count {
            if position == items.count {
                rng.shuffle(&items)
                position = 0
                // Move this request's items to the end so they are not drawn again now.
                var back = items.count - 1
                var i = 0
                while i <= back {
                    if contains(out, offset, taken, items[i]) {
                        items.swapAt(i, back)
                        back -= 1
                    } else {
                        i += 1
                    }
                }
            }
            out[offset + taken] = items[position]
            position += 1
            taken += 1
        }
    }

    private func contains(_ out: [Int], _ offset: Int, _ n: Int, _ v: Int) -> Bool {
        for j in 0..<n where out[offset + j] == v { return true }
        return false
    }
}

/// Draws batches of `classesPerBatch` classes × `samplesPerClass` samples from labelled training rows.
///
/// Classes cycle through a shuffled queue and each class cycles through its own shuffled samples,
/// so every sample is seen once per epoch where the class sizes allow; a class with fewer than K
/// samples is drawn with replacement. Its state is plain data, saved in checkpoints.
public struct PKSampler: Sendable, Codable, Equatable {
    public let classesPerBatch: Int
    public let samplesPerClass: Int
    var classQueue: CyclicQueue
    var members: [[Int]]
    var memberQueues: [CyclicQueue]
    var chosenClasses: [Int]

    public var batchSize: Int { classesPerBatch * samplesPerClass }

    /// A sampler over `labels` (classes with no rows are ignored). Requires P ≤ classes present.
    public init(labels: [Int], classesPerBatch p: Int, samplesPerClass k: Int, rng: inout SeededRNG,
                field: String = "sampler") throws {
        let classCount = (labels.max() ?? -1) + 1
        var members = [[Int]](repeating: [], count: classCount)
        for (i, c) in labels.enumerated() { members[c].append(i) }
        let present = members.indices.filter { members[$0].count > 0 }
        guard p >= 2 else { throw DatasetError(field: "\(field).classes_per_batch", "must be at least 2") }
        guard k >= 2 else { throw DatasetError(field: "\(field).samples_per_class", "must be at least 2") }
        guard p <= present.count else {
            throw DatasetError(field: "\(field).classes_per_batch", "\(p) exceeds the \(present.count) classes of the training split")
        }
        self.classesPerBatch = p
        self.samplesPerClass = k
        self.members = members
        self.classQueue = CyclicQueue(items: present, rng: &rng)
        self.memberQueues = members.map { CyclicQueue(items: Array(0..<$0.count), rng: &rng) }
        self.chosenClasses = [Int](repeating: 0, count: p)
    }

    /// Fills `batch` (length P·K) with row indices, class by class.
    public mutating func next(into batch: inout [Int], rng: inout SeededRNG) {
        precondition(batch.count == batchSize)
        classQueue.take(classesPerBatch, into: &chosenClasses, at: 0, rng: &rng)
        for (slot, c) in chosenClasses.enumerated() {
            let offset = slot * samplesPerClass
            let rows = members[c]
            if rows.count >= samplesPerClass {
                memberQueues[c].take(samplesPerClass, into: &batch, at: offset, rng: &rng)
                for j in 0..<samplesPerClass { batch[offset + j] = rows[batch[offset + j]] }
            } else {
                for j in 0..<samplesPerClass { batch[offset + j] = rows[rng.int(below: rows.count)] }
            }
        }
    }
}
