// The names the database and the Swift modules share, written once: job kinds and states, event
// types, webhook delivery states and body formats, stored-input formats and notification channels.
// Queue, Webhooks, Specs and Workers use these; `VocabularyTests` holds them equal to the schema's
// CHECK lists and trigger literals.

/// A job's kind (the `isomine.jobs.kind` column).
public enum JobKind: String, Sendable, CaseIterable, Codable {
    case train, analyze, sweep
}

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

    /// The events a webhook endpoint can subscribe to (the webhook trigger's WHEN list).
    public static let subscribable: [JobEventType] = [.succeeded, .failed, .dead, .collapseDetected, .collapseWarning, .sweepFinished, .reportReady]

    /// The event a failure records for the state it leads to.
    public static func afterFailure(_ state: JobState) -> JobEventType {
        switch state {
        case .queued: return .retrying
        case .dead: return .dead
        default: return .failed
        }
    }
}

/// The type of the message `webhooks test` sends (a delivery, not a job event).
public let webhookTestEventType = "webhook.test"

/// A webhook delivery's state (the `isomine.webhook_deliveries.state` column).
public enum DeliveryState: String, Sendable, CaseIterable, Codable {
    case pending, delivered, dead
}

/// A webhook endpoint's body format (the `isomine.webhook_endpoints.format` column).
public enum WebhookFormat: String, Sendable, CaseIterable, Codable {
    /// `{type, timestamp, summary, data}`.
    case standard
    /// `{"text": summary and report link}`, for Slack-compatible incoming webhooks.
    case slack
}

/// A stored input's format (the `isomine.inputs.format` column).
public enum InputFormat: String, Sendable, CaseIterable, Codable {
    case npy, csv
}

/// LISTEN/NOTIFY channels.
public enum Channel {
    /// A job became claimable (enqueued, retried, released).
    public static let jobs = "isomine_jobs"
    /// A webhook delivery became due.
    public static let webhooks = "isomine_webhooks"
    /// A monitored series has new signal rows or step-0 batches to evaluate (payload: the series).
    public static let signals = "isomine_signals"
}
