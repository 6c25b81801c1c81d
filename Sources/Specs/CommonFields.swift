// Fields every job kind has: `kind`, `name`, `queue` and `dataset`, declared once for all of them.
import Datasets

extension FieldType where Value == String {
    /// A job's `name`: a short label for lists, reports and webhooks (at most `SpecLimits.maxNameLength`
    /// characters, no control characters, so one name cannot make every page and webhook body huge).
    static var jobName: FieldType<String> {
        FieldType<String>.string.checked { name, at in
            if name.count > SpecLimits.maxNameLength {
                throw SpecError(path: at, "is \(name.count) characters long; a job name has at most \(SpecLimits.maxNameLength)")
            }
            if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                throw SpecError(path: at, "contains a control character (newline, tab, ...); use a one-line name")
            }
        }
    }

    /// The `queue` a job goes to (the same rule as the database's check constraint).
    static var queueName: FieldType<String> {
        FieldType<String>.string.checked { queue, at in
            guard SpecLimits.isQueueName(queue) else {
                throw SpecError(path: at, "'\(queue)' is not a queue name; use 1 to 63 of a-z, 0-9, _ . - starting with a letter or digit")
            }
        }
    }
}

extension FieldType where Value == String {
    /// A series name: 1–100 of A-Z a-z 0-9 _ . - starting with a letter or digit (it appears in file names and pages).
    static var seriesName: FieldType<String> {
        FieldType<String>.string.checked { name, at in
            guard SpecLimits.isSeriesName(name) else {
                throw SpecError(path: at, "'\(name.prefix(100))' is not a series name; use 1 to 100 of A-Z, a-z, 0-9, _ . - starting with a letter or digit")
            }
        }
    }
}

extension FieldType where Value == DatasetSource {
    /// The `dataset` object, read and echoed by `DatasetSpec.schema`.
    static var dataset: FieldType<DatasetSource> {
        FieldType(text: "object", read: { v, at in try DatasetSpec.parse(try SpecReader(v, path: at)) }, write: DatasetSpec.json)
    }
}

extension SpecField {
    /// `kind`: read by `JobSpec` before the kind's schema, echoed as `kind`.
    static func kind(_ kind: String, type: String, _ meaning: String) -> SpecField {
        .custom("kind", type: type, default: "—", meaning, decode: { _, _, _ in }, encode: { _ in .string(kind) })
    }
}

/// The `threads` setting of train and analyze jobs, and its older name `blas_threads`, declared once.
enum ThreadsField {
    /// Most threads a job may ask for.
    static let range = 1...256

    static let threadsDoc = "threads the job computes with: the matrix products (OpenBLAS), the exact distances, the kNN screening and ranking of the retrieval metrics and the f* search's products; the results are the same for any value (default: the job's share of the machine, its cores ÷ the worker's `--concurrency`; every core for `isomine run`)"
    static let blasThreadsDoc = "the older name of `threads`, still read (giving both is an error)"

    /// The check that `threads` and `blas_threads` are not both given.
    static func check(threads: Int?, blasThreads: Int?, at: String) throws {
        if threads != nil && blasThreads != nil {
            throw SpecError(path: "\(at).blas_threads", "is the older name of threads; give one of them")
        }
    }
}
