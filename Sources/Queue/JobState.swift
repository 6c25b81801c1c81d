// The job state machine's names, written once: states, event types and notification channels.
import Postgres

/// A job's state (the `isomine.jobs.state` column).
public enum JobState: String, Sendable, CaseIterable, Codable {
    case queued, running, succeeded, failed, cancelled, dead

    /// States a job never leaves by itself (`jobs retry` queues failed, dead and cancelled ones again).
    public var isEnded: Bool { self == .succeeded || self == .failed || self == .cancelled || self == .dead }

    public static var ended: [JobState] { allCases.filter(\.isEnded) }
}

/// The `type` of an `isomine.job_events` row.
public enum JobEventType: String, Sendable, CaseIterable, Codable {
    case enqueued = "job.enqueued"
    case started = "job.started"
    case retrying = "job.retrying"
    case rescued = "job.rescued"
    case released = "job.released"
    case succeeded = "job.succeeded"
    case failed = "job.failed"
    case dead = "job.dead"
    case cancelled = "job.cancelled"
    case retried = "job.retried"
    case sweepStarted = "sweep.started"
    case sweepRunsFinished = "sweep.runs_finished"
    case sweepFinished = "sweep.finished"
    case collapseDetected = "collapse.detected"
    case collapseWarning = "collapse.warning"
    case reportReady = "report.ready"

    /// The event a failure records for the state it leads to.
    static func afterFailure(_ state: JobState) -> JobEventType {
        switch state {
        case .queued: return .retrying
        case .dead: return .dead
        default: return .failed
        }
    }
}

/// LISTEN/NOTIFY channels.
public enum Channel {
    /// A job became claimable (enqueued, retried, released).
    public static let jobs = "isomine_jobs"
    /// A webhook delivery became due.
    public static let webhooks = "isomine_webhooks"

    /// NOTIFY `channel` with `payload` (through pg_notify, parameterised).
    public static func notify(_ db: PGConnection, _ channel: String, _ payload: String) throws {
        try db.execute("SELECT pg_notify($1, $2)", [channel, payload])
    }
}
