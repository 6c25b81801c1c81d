// Series of analyze jobs (one training run's checkpoints) and the inputs they read: every statement
// about series and stored inputs.
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
}

/// One step of a series as listed.
public struct SeriesStep: Sendable, Codable, Equatable {
    public var step: Int
    public var jobID: Int
    public var state: String
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
    /// Codes of the collapse warning's reasons, when the step warned.
    public var warning: [String]?
    public var lastError: String?

    enum CodingKeys: String, CodingKey {
        case step, state, verdict, headline, reasons, warning
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

/// A series with its steps, as `isomine.series_json` gives it.
public struct SeriesDetail: Sendable, Codable, Equatable {
    public var name: String
    public var baselineStep: Int
    public var collapseStep: Int?
    /// The step collapse.warning was recorded for.
    public var warningStep: Int?
    public var steps: [SeriesStep]

    enum CodingKeys: String, CodingKey {
        case name, steps
        case baselineStep = "baseline_step"
        case collapseStep = "collapse_step"
        case warningStep = "warning_step"
    }
}

/// A series as listed: its baseline, its steps' count and where it collapsed.
public struct SeriesSummary: Sendable, Codable, Equatable {
    public var name: String
    public var baselineStep: Int
    public var steps: Int
    public var lastStep: Int?
    public var lastVerdict: String?
    /// The step collapse.detected was recorded for.
    public var collapseStep: Int?
    /// The step collapse.warning was recorded for.
    public var warningStep: Int?
    public var createdAt: String

    enum CodingKeys: String, CodingKey {
        case name, steps
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
    public static func storeInput(_ db: PGConnection, _ bytes: [UInt8], format: String, what: String) throws -> String {
        try db.execute("SELECT isomine.store_input(\(PGBytes(bytes)), \(format), \(what)) AS sha256").row(0).require("sha256")
    }

    /// Submits one series step from NPY bytes (`isomine.submit_embeddings`); returns the job id.
    public static func submit(_ db: PGConnection, series: String, step: Int, embeddings: [UInt8], labels: [UInt8], options: JSONValue) throws -> Int {
        try db.execute("""
            SELECT isomine.submit_embeddings(\(series), \(step), \(PGBytes(embeddings)), \(PGBytes(labels)), \(PGJSON(text: try options.compactText()))) AS id
            """).row(0).require("id")
    }

    /// Every series, newest first (or only the one named).
    public static func list(_ db: PGConnection, name: String? = nil) throws -> [SeriesSummary] {
        let rows = try db.execute("""
            SELECT s.name, s.baseline_step, s.collapse_step, s.warning_step, to_char(s.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS created_at,
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

    /// One step with its full result, for the series page.
    public struct StepResult: Sendable, Decodable {
        public var step: Int
        public var jobID: Int
        public var state: String
        public var result: JSONValue?
        public var lastError: String?

        enum CodingKeys: String, CodingKey {
            case step, state, result
            case jobID = "id"
            case lastError = "last_error"
        }
    }

    /// The series' summary and every step's result, or nil when there is no such series.
    public static func results(_ db: PGConnection, name: String) throws -> (SeriesSummary, [StepResult])? {
        guard let summary = try list(db, name: name).first else { return nil }
        let rows = try db.execute("""
            SELECT series_step AS step, id, state, result, last_error FROM isomine.jobs WHERE series = \(name) ORDER BY series_step
            """)
        return (summary, try rows.decode(StepResult.self))
    }

    /// What an ended job may still have to announce, read in one query (every job that ends asks).
    public enum FollowUp: Sendable {
        /// A step of this series: its page and the series' collapse.detected.
        case series(String)
        /// An analysis outside any series that collapsed and has no collapse.detected yet: its result.
        case collapsedAnalysis(String)
        case nothing
    }

    public static func followUp(ofJob id: Int, _ db: PGConnection) throws -> FollowUp {
        let rows = try db.execute("""
            SELECT series,
                   CASE WHEN kind = 'analyze' AND series IS NULL AND state = 'succeeded' AND result->>'verdict' = 'collapsed'
                             AND NOT EXISTS (SELECT 1 FROM isomine.job_events e WHERE e.job_id = j.id AND e.type = 'collapse.detected')
                        THEN result::text END AS collapsed_result
              FROM isomine.jobs j WHERE id = \(id)
            """)
        guard rows.count == 1 else { return .nothing }
        if let series = try rows.string(0, "series") { return .series(series) }
        if let result = try rows.string(0, "collapsed_result") { return .collapsedAnalysis(result) }
        return .nothing
    }

    /// Records collapse.detected for an analyze job outside any series whose verdict is collapsed (once
    /// per job: `followUp` offers it only while none is recorded), after its page is written.
    public static func announceAnalysisCollapse(_ db: PGConnection, jobID: Int, result: String, reportURL: String?) throws {
        var data = collapseData(try JSONValue.parse(Data(result.utf8)), step: 0)
        if let reportURL { data["report_url"] = .string(reportURL) }
        try JobQueue.event(db, jobID, .collapseDetected, try JSONValue.object(data).compactText())
    }

    /// The data of an analysis' collapse.detected: the step, the verdict and the signals behind it.
    static func collapseData(_ result: JSONValue, step: Int) -> [String: JSONValue] {
        var signals: [String: JSONValue] = [:]
        let final = result["final"]
        if let v = final?["eval"]?["precision_at_1"] { signals["precision_at_1"] = v }
        if let v = final?["estimators"]?["collapse"]?["mean_ratio"] { signals["relative_spread"] = v }
        if let v = final?["diagnosis"]?["evidence"]?["spread_over_margin"] { signals["spread_over_margin"] = v }
        if let v = final?["estimators"]?["l_hard"] { signals["l_hard"] = v }
        if let v = final?["estimators"]?["d_iso"] { signals["d_iso"] = v }
        if case .array(let reasons)? = final?["diagnosis"]?["reasons"] {
            signals["reasons"] = .array(reasons.filter { $0["level"] != .string("healthy") })
        }
        var data: [String: JSONValue] = ["step": .number(Double(step)), "verdict": .string("collapsed"), "signals": .object(signals)]
        if let headline = final?["diagnosis"]?["headline"] { data["headline"] = headline }
        return data
    }

    /// Records collapse.warning once per series: for its first step that warned (lowest), when that step
    /// comes before every collapsed step and neither event was recorded yet (a warning is news only
    /// before the collapse). Called after a step's report is published and before `announceCollapse`,
    /// so subscribers get the warning first. Returns the job id the event was recorded for.
    @discardableResult
    public static func announceWarning(_ db: PGConnection, series: String, seriesURL: String?, jobURL: (_ jobID: Int) -> String?) throws -> Int? {
        try db.transaction {
            let rows = try db.execute("""
                SELECT s.warning_step IS NOT NULL OR s.collapse_step IS NOT NULL AS announced, w.id, w.series_step AS step,
                       w.result->'warning' AS warning, w.result->'final'->'eval'->'precision_at_1' AS p1
                  FROM isomine.series s
                  JOIN LATERAL (SELECT id, series_step, result FROM isomine.jobs
                                 WHERE series = s.name AND state = 'succeeded' AND result ? 'warning'
                                 ORDER BY series_step LIMIT 1) w ON true
                 WHERE s.name = \(series)
                   AND NOT EXISTS (SELECT 1 FROM isomine.jobs c WHERE c.series = s.name AND c.state = 'succeeded'
                                      AND c.result->>'verdict' = 'collapsed' AND c.series_step <= w.series_step)
                   FOR UPDATE OF s
                """)
            guard rows.count == 1, try rows.bool(0, "announced") == false, let id = try rows.int(0, "id"),
                  let step = try rows.int(0, "step"), let text = try rows.string(0, "warning") else { return nil }
            let warning = try JSONValue.parse(Data(text.utf8))
            var data: [String: JSONValue] = ["step": .number(Double(step)), "series": .string(series),
                                             "reasons": warning["reasons"] ?? .array([]), "signals": warning["signals"] ?? .object([:])]
            if let p1 = try rows.string(0, "p1"), let value = Double(p1) { data["precision_at_1"] = .number(value) }
            if let seriesURL { data["report_url"] = .string(seriesURL) }
            if let url = jobURL(id) { data["job_report_url"] = .string(url) }
            try db.execute("UPDATE isomine.series SET warning_step = \(step), warning_job_id = \(id) WHERE name = \(series)")
            try JobQueue.event(db, id, .collapseWarning, try JSONValue.object(data).compactText())
            return id
        }
    }

    /// Records collapse.detected once per series: for its first collapsed step after the baseline that
    /// succeeded (lowest step), when none was recorded yet. (The baseline is judged as an untrained
    /// network and is never collapsed; a step before a named later baseline is not the run's collapse.) Called after a step's report is published, so the link the
    /// event carries resolves; a worker that died in between leaves it to the next step that ends.
    /// Returns the job id the event was recorded for.
    @discardableResult
    public static func announceCollapse(_ db: PGConnection, series: String, seriesURL: String?, jobURL: (_ jobID: Int) -> String?) throws -> Int? {
        try db.transaction {
            let rows = try db.execute("""
                SELECT s.collapse_step IS NOT NULL AS announced, j.id, j.series_step AS step, j.result::text AS result
                  FROM isomine.series s
                  LEFT JOIN LATERAL (SELECT id, series_step, result FROM isomine.jobs
                                      WHERE series = s.name AND state = 'succeeded' AND result->>'verdict' = 'collapsed'
                                        AND series_step > s.baseline_step
                                      ORDER BY series_step LIMIT 1) j ON true
                 WHERE s.name = \(series) FOR UPDATE OF s
                """)
            guard rows.count == 1, try rows.bool(0, "announced") == false, let id = try rows.int(0, "id"),
                  let step = try rows.int(0, "step"), let text = try rows.string(0, "result") else { return nil }
            var data = collapseData(try JSONValue.parse(Data(text.utf8)), step: step)
            data["series"] = .string(series)
            if let seriesURL { data["report_url"] = .string(seriesURL) }
            if let url = jobURL(id) { data["job_report_url"] = .string(url) }
            try db.execute("UPDATE isomine.series SET collapse_step = \(step), collapse_job_id = \(id) WHERE name = \(series)")
            try JobQueue.event(db, id, .collapseDetected, try JSONValue.object(data).compactText())
            return id
        }
    }
}
