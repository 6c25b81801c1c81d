// Series of analyze jobs (one training run's checkpoints) and the inputs they read: every statement
// about series and stored inputs.
import Vocabulary
import Datasets
import Foundation
import Jobs
import Postgres

/// Reads stored inputs and series baselines for a job process. It holds only the connector (so it is
/// Sendable) and opens a connection for each read: a job reads its inputs once or twice.
public final class DatabaseInputs: StoredInputs, SeriesBaselines {
    let connector: PGConnector

    public init(_ connector: PGConnector) { self.connector = connector }

    public func bytes(sha256: String, field: String) throws -> [UInt8] {
        let db = try connector.connect()
        guard let bytes = try db.execute("SELECT byte_size FROM isomine.inputs WHERE sha256 = \(sha256)").first("byte_size", as: Int.self) else {
            throw DatasetError(field: field, "stored input \(sha256) is not in the database (it was deleted, or never uploaded); submit it again")
        }
        let limit = InputLimits.current.maxInputBytes
        if bytes > limit {
            throw DatasetError(field: field, "stored input \(sha256) is \(bytes) bytes, above the input limit of \(limit) (set ISOMINE_MAX_INPUT_BYTES to raise it)")
        }
        let rows = try db.execute("SELECT data FROM isomine.inputs WHERE sha256 = \(sha256)")
        guard let data = try rows.first("data", as: PGBytes.self) else {
            throw DatasetError(field: field, "stored input \(sha256) is not in the database (it was deleted while the job started)")
        }
        return data.bytes
    }

    public func baseline(of series: String, named: Int?) throws -> (step: Int, dataset: DatasetSource)? {
        let db = try connector.connect()
        struct Baseline: Decodable { let step: Int, spec: String }
        let rows = try db.execute("""
            SELECT j.series_step AS step, j.spec::text AS spec
              FROM isomine.series s JOIN isomine.jobs j ON j.series = s.name AND j.series_step = coalesce(\(named), s.baseline_step)
             WHERE s.name = \(series)
            """)
        guard let baseline = try rows.decodeOne(Baseline.self),
              case .analyze(let spec) = try JobSpec.parse(Data(baseline.spec.utf8)) else { return nil }
        return (baseline.step, spec.dataset)
    }

    public func trainedBefore(_ baseline: Int, in series: String, through step: Int) throws -> TrainedBefore? {
        struct Row: Decodable {
            let trained: Bool, first: Double?, last: Double?, monitor: JSONValue?, embeddings: String?, labels: String?
        }
        let db = try connector.connect()
        guard let row = try db.execute("""
            SELECT EXISTS (SELECT 1 FROM isomine.series_signals g WHERE g.series = s.name AND g.step < \(baseline)) AS trained,
                   (SELECT (g.signals->>'batch_spread')::float8 FROM isomine.series_signals g
                     WHERE g.series = s.name ORDER BY g.step LIMIT 1) AS first,
                   (SELECT (g.signals->>'batch_spread')::float8 FROM isomine.series_signals g
                     WHERE g.series = s.name AND g.step <= \(step) ORDER BY g.step DESC LIMIT 1) AS last,
                   s.monitor, s.risk_embeddings AS embeddings, s.risk_labels AS labels
              FROM isomine.series s WHERE s.name = \(series)
            """).decodeOne(Row.self), row.trained else { return nil }
        var before = TrainedBefore()
        if let first = row.first, let last = row.last, first > 0 { before.spreadRatio = last / first }
        // The first step-0 batch is the untrained network's (the others are the two steps after it). Stored
        // batches that cannot be read leave the checkpoint judged without them, as before they existed.
        if let monitor = row.monitor, let embeddings = row.embeddings, let labels = row.labels {
            do {
                if let k = try MonitorBatches.read(monitor: monitor, embeddings: embeddings, labels: labels, inputs: self, name: series, limit: 1).first?.kappa {
                    (before.firstBatchKappa, before.firstBatchChance, before.firstBatchRows) = (k.kappa, k.chance, k.rows)
                }
            } catch is MonitorInputError {
            } catch is DatasetError {
            }
        }
        return before
    }
}

/// One step of a series as listed.
public struct SeriesStep: Sendable, Codable, Equatable {
    public var step: Int
    public var jobID: Int
    public var state: JobState
    public var verdict: String?
    /// The verdict's headline, naming the state (e.g. `collapsed (distances; ranking intact)`).
    public var headline: String?
    public var precisionAt1: Double?
    public var mapAtR: Double?
    public var relativeSpread: Double?
    public var lHard: Double?
    public var dIsoLower: Double?
    public var dIsoUpper: Double?
    /// Codes of the reasons that lowered the verdict.
    public var reasons: [String]
    /// Codes of the reasons the verdict notes as context, never lowering it (nil from a database before they were listed).
    public var context: [String]?
    /// Codes of the collapse warning's reasons, when the step warned.
    public var warning: [String]?
    /// The provisional verdict recorded before the estimators ran, when there is one.
    public var provisional: SeriesProvisional?
    public var lastError: String?

    enum CodingKeys: String, CodingKey {
        case step, state, verdict, headline, reasons, context, warning, provisional
        case jobID = "job_id"
        case precisionAt1 = "precision_at_1"
        case mapAtR = "map_at_r"
        case relativeSpread = "relative_spread"
        case lHard = "l_hard"
        case dIsoLower = "d_iso_lower"
        case dIsoUpper = "d_iso_upper"
        case lastError = "last_error"
    }
}

/// A step's provisional verdict as `isomine.series_json` gives it.
public struct SeriesProvisional: Sendable, Codable, Equatable {
    public var verdict: String
    public var headline: String
    /// Seconds from the job's start to the provisional verdict.
    public var seconds: Double?
    /// The final verdict's level differs from it (the final one stands; no event was sent for it).
    public var contradicted: Bool?
}

/// A series with its steps, as `isomine.series_json` gives it.
public struct SeriesDetail: Sendable, Codable, Equatable {
    public var name: String
    /// The margin α its steps are judged at (its monitor's or its first step's); nil for a series with neither yet.
    public var margin: Double?
    /// Whether its steps' embeddings are L2-normalised before they are judged (its monitor's or its first
    /// step's `normalize`); nil for a series with neither yet.
    public var normalize: Bool?
    public var baselineStep: Int?
    public var collapseStep: Int?
    /// The step collapse.warning was recorded for.
    public var warningStep: Int?
    public var steps: [SeriesStep]

    enum CodingKeys: String, CodingKey {
        case name, steps, margin, normalize
        case baselineStep = "baseline_step"
        case collapseStep = "collapse_step"
        case warningStep = "warning_step"
    }
}

/// A series as listed: its baseline, its steps' count and where it collapsed.
public struct SeriesSummary: Sendable, Codable, Equatable {
    public var name: String
    /// The margin α its steps are judged at (its monitor's or its first step's); nil for a series with neither yet.
    public var margin: Double?
    /// Whether its steps' embeddings are L2-normalised before they are judged; nil for a series with no step or monitor yet.
    public var normalize: Bool?
    public var baselineStep: Int?
    public var steps: Int
    public var lastStep: Int?
    public var lastVerdict: String?
    /// The step collapse.detected was recorded for.
    public var collapseStep: Int?
    /// The step collapse.warning was recorded for.
    public var warningStep: Int?
    public var createdAt: String

    enum CodingKeys: String, CodingKey {
        case name, steps, margin, normalize
        case baselineStep = "baseline_step"
        case lastStep = "last_step"
        case lastVerdict = "last_verdict"
        case collapseStep = "collapse_step"
        case warningStep = "warning_step"
        case createdAt = "created_at"
    }
}

/// Every statement about series and stored inputs.
public enum SeriesStore {
    /// Uploads bytes as a stored input (deduplicated, capped by isomine.max_input_bytes()); returns its SHA-256.
    public static func storeInput(_ db: PGConnection, _ bytes: [UInt8], format: InputFormat, what: String) throws -> String {
        try db.execute("SELECT isomine.store_input(\(PGBytes(bytes)), \(format.rawValue), \(what)) AS sha256").row(0).require("sha256")
    }

    /// Submits one series step from NPY bytes (`isomine.submit_embeddings`); returns the job id.
    public static func submit(_ db: PGConnection, series: String, step: Int, embeddings: [UInt8], labels: [UInt8], options: JSONValue) throws -> Int {
        try db.execute("""
            SELECT isomine.submit_embeddings(\(series), \(step), \(PGBytes(embeddings)), \(PGBytes(labels)), \(PGJSON(text: try options.compactText()))) AS id
            """).row(0).require("id")
    }

    /// Whether step `step` of series `series` is its baseline, judged as an untrained network only because
    /// it is the first step (not submitted as untrained, no monitor's batches before it): a checkpoint
    /// taken after training (epoch 5 as the first step submitted) would then never read collapsed.
    public static func assumedUntrainedBaseline(_ db: PGConnection, series: String, step: Int) throws -> Bool {
        try db.execute("SELECT isomine.baseline_judged_untrained(\(series), \(step)) AS assumed").first("assumed", as: Bool.self) ?? false
    }

    /// Every series, newest first (or only the one named).
    public static func list(_ db: PGConnection, name: String? = nil) throws -> [SeriesSummary] {
        let rows = try db.execute("""
            SELECT s.name, s.margin, s.normalize, s.baseline_step, s.collapse_step, s.warning_step, to_char(s.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS created_at,
                   (SELECT count(*) FROM isomine.jobs j WHERE j.series = s.name) AS steps,
                   last.series_step AS last_step,
                   coalesce(last.result->'final'->'diagnosis'->>'headline', last.result->>'verdict') AS last_verdict
              FROM isomine.series s
              LEFT JOIN LATERAL (SELECT j.series_step, j.result FROM isomine.jobs j WHERE j.series = s.name
                                  ORDER BY j.series_step DESC LIMIT 1) last ON true
             WHERE \(name) IS NULL OR s.name = \(name)
             ORDER BY s.created_at DESC, s.name
            """)
        return try rows.decode(SeriesSummary.self)
    }

    /// The series and its steps in order (`isomine.series_json`), or nil when there is no such series.
    public static func show(_ db: PGConnection, name: String) throws -> (SeriesDetail, JSONValue)? {
        guard let text = try db.execute("SELECT isomine.series_json(\(name))::text AS series").first("series", as: String.self) else { return nil }
        let json = try JSONValue.parse(Data(text.utf8))
        return (try JSONDecoder().decode(SeriesDetail.self, from: Data(text.utf8)), json)
    }

    /// How long a series' steps took: from each start to its provisional verdict and to its end.
    public struct StepTimes: Sendable, Decodable {
        public let step: Int
        public let provisionalSeconds: Double?
        public let finalSeconds: Double?
        public let provisional: String?
        public let final: String?

        enum CodingKeys: String, CodingKey {
            case step, provisional, final
            case provisionalSeconds = "provisional_seconds"
            case finalSeconds = "final_seconds"
        }
    }

    /// Each step's times and headlines (provisional, final), in step order.
    public static func stepTimes(_ db: PGConnection, name: String) throws -> [StepTimes] {
        try db.execute("""
            SELECT series_step AS step, extract(epoch FROM provisional_at - started_at)::double precision AS provisional_seconds,
                   extract(epoch FROM finished_at - started_at)::double precision AS final_seconds,
                   provisional->>'headline' AS provisional, result->'final'->'diagnosis'->>'headline' AS final
              FROM isomine.jobs WHERE series = \(name) ORDER BY series_step
            """).decode(StepTimes.self)
    }

    /// Deletes a series and its steps' jobs (benchmarks clean up after themselves).
    public static func delete(_ db: PGConnection, name: String) throws {
        try db.transaction {
            try db.execute("DELETE FROM isomine.jobs WHERE series = \(name)")
            try db.execute("DELETE FROM isomine.series WHERE name = \(name)")
        }
    }

    /// The series a job is a step of (nil outside a series).
    public static func seriesOf(_ db: PGConnection, job: Int) throws -> String? {
        try db.execute("SELECT series FROM isomine.jobs WHERE id = \(job)").first("series", as: String.self)
    }

    /// One step with its full result, for the series page.
    public struct StepResult: Sendable, Decodable {
        public var step: Int
        public var jobID: Int
        public var state: JobState
        public var result: JSONValue?
        /// The provisional verdict (`ProvisionalVerdict`), when recorded.
        public var provisional: JSONValue?
        public var lastError: String?

        enum CodingKeys: String, CodingKey {
            case step, state, result, provisional
            case jobID = "id"
            case lastError = "last_error"
        }
    }

    /// The series' summary and every step's result, or nil when there is no such series.
    public static func results(_ db: PGConnection, name: String) throws -> (SeriesSummary, [StepResult])? {
        guard let summary = try list(db, name: name).first else { return nil }
        let rows = try db.execute("""
            SELECT series_step AS step, id, state, result, provisional, last_error FROM isomine.jobs WHERE series = \(name) ORDER BY series_step
            """)
        return (summary, try rows.decode(StepResult.self))
    }
}
