// The one way isomine spreads a loop over threads: fixed chunks, handed out in order to at most
// `threads` workers. Each chunk writes only its own outputs, so results never depend on the thread count.
import Dispatch
import Foundation

/// Runs `body` for every chunk index in `0..<chunks` on up to `threads` threads (the caller's included).
///
/// Chunks are taken from a shared counter in order, so a slow chunk does not hold up the others. The
/// partition into chunks is the caller's and must not depend on `threads`: then, with each chunk
/// writing only its own outputs (or a per-chunk partial combined afterwards in chunk order), the result
/// is the same for any thread count. With `threads` ≤ 1 or a single chunk it runs inline, in order.
public func parallelChunks(_ chunks: Int, threads: Int, _ body: (Int) -> Void) {
    parallelChunks(chunks, threads: threads) { chunk, _ in body(chunk) }
}

/// `parallelChunks` whose body also gets the index of the worker running it (0..<workerCount(…)), for
/// per-worker scratch space. Which worker runs which chunk varies from run to run: a worker's scratch
/// must not change the result (e.g. candidate lists that are merged and ranked exactly afterwards).
public func parallelChunks(_ chunks: Int, threads: Int, _ body: (_ chunk: Int, _ worker: Int) -> Void) {
    if chunks <= 0 { return }
    let workers = workerCount(chunks: chunks, threads: threads)
    if workers == 1 {
        for c in 0..<chunks { body(c, 0) }
        return
    }
    let next = ChunkCounter()
    withoutActuallyEscaping(body) { body in
        // The body is not Sendable (it writes through the caller's buffers): sharing it is sound because
        // each chunk index runs once and, by this function's contract, chunks write disjoint outputs.
        nonisolated(unsafe) let shared = body
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            while let c = next.take(below: chunks) { shared(c, worker) }
        }
    }
}

/// Workers `parallelChunks` uses for `chunks` chunks on `threads` threads.
public func workerCount(chunks: Int, threads: Int) -> Int { max(1, min(max(threads, 1), chunks)) }

/// The next chunk to run (a lock guards the counter, hence `@unchecked Sendable`).
private final class ChunkCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0

    func take(below limit: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard next < limit else { return nil }
        next += 1
        return next - 1
    }
}

/// Splits rows `0..<n` of an upper-triangle loop (row i pairs with the rows after it) into chunks of
/// about equal numbers of pairs, at most `maxChunks` of them, each at least `minPairs` pairs. The split
/// depends only on `n` and the arguments, never on a thread count.
public func triangleChunks(_ n: Int, maxChunks: Int = 64, minPairs: Int = 1 << 16) -> [Range<Int>] {
    let total = n * (n - 1) / 2
    let count = max(1, min(maxChunks, total / max(minPairs, 1)))
    var out: [Range<Int>] = []
    var start = 0, done = 0
    for c in 1...count {
        let target = total * c / count
        var end = start
        while end < n && done < target { done += n - 1 - end; end += 1 }
        if c == count { end = n }
        if end > start { out.append(start..<end) }
        start = end
    }
    return out.isEmpty ? [0..<n] : out
}

/// Fixed chunks of `size` rows over `0..<count` (the last may be shorter): the partition the loops
/// spread with `parallelChunks`, never depending on a thread count.
public struct RowChunks: Sendable {
    public let size: Int, count: Int

    public init(size: Int, count: Int) {
        self.size = max(size, 1)
        self.count = count
    }

    /// How many chunks there are.
    public var number: Int { (count + size - 1) / size }

    /// The rows of chunk `c`.
    public func rows(_ c: Int) -> Range<Int> { (c * size)..<min(count, c * size + size) }
}
