// What happens after a job's result is stored, in one place: pages are written first, then events —
// collapse.warning before collapse.detected, each once — so every link an event carries resolves when
// it is sent. For a train run this happens as it evaluates (fenced by its lease); for an analysis, a
// series step and a sweep when the job ends. The SQL side keeps only what must be transactional: the
// webhook outbox rows (the trigger on isomine.job_events) and the sweep triggers.
import CollapseSignals
import Foundation
import Jobs
import Logging
import Postgres
import Queue
import Trainer
import Vocabulary

/// Writes the pages and records the events that follow a job's stored results.
public final class JobFollowUp {
    let db: PGConnection
    let reports: ReportPublisher?
    let logger: Logger

    public init(db: PGConnection, reports: ReportPublisher?, logger: Logger) {
        self.db = db
        self.reports = reports
        self.logger = logger
    }

    /// The follow-up of a train run in progress (the `StoreSink`'s announcer). `pageEachEvaluation`:
    /// rewrite the run's page after every evaluation, not only before its collapse events.
    public func run(_ job: ClaimedJob, owner: String, pageEachEvaluation: Bool) -> RunFollowUp {
        RunFollowUp(self, lease: JobLease(job, owner: owner), pageEachEvaluation: pageEachEvaluation)
    }

    /// A job ended (succeeded, failed, dead, cancelled): its page, then what it announces. A series
    /// step rewrites its series' page and records the series' collapse.warning (if a step warned before
    /// any collapsed) and collapse.detected (if one collapsed), each once per series; an analysis outside a
    /// series that collapsed records its collapse.detected. A page that cannot be written is logged and
    /// never fails the job.
    public func jobEnded(_ id: Int) {
        if let reports {
            do {
                let report = try reports.publish(db, jobID: id)
                logger.info("report written", metadata: ["job": "\(id)", "path": "\(report.fullPath)"])
            } catch {
                logger.warning("report not written", metadata: ["job": "\(id)", "error": "\(error)"])
            }
        }
        do {
            switch try EndedJob.read(db, id: id) {
            case .nothing: return
            case .collapsedAnalysis(let result):
                let links: [String: String?] = ["report_url": reports?.url(id)]
                try JobEvents.record(db, id, .collapseDetected, CollapseEventData.detected(analysis: result, step: 0, links: links))
                logger.notice("event recorded", metadata: ["job": "\(id)", "type": "collapse.detected"])
            case .seriesStep(let series):
                try seriesStepEnded(series)
            }
        } catch {
            logger.warning("series page or collapse event not written", metadata: ["job": "\(id)", "error": "\(error)"])
        }
    }

    private func seriesStepEnded(_ series: String) throws {
        if let reports { try reports.publishSeries(db, name: series) }
        // The warning first: once collapse.detected is recorded, a warning is no longer news.
        for announcement in SeriesAnnouncement.allCases {
            let announced = try announcement.announce(db, series: series) { [reports] job, step, result in
                let links: [String: String?] = ["series": series, "report_url": reports?.seriesURL(series), "job_report_url": reports?.url(job)]
                return announcement == .warning
                    ? CollapseEventData.warning(analysis: result, step: step, links: links)
                    : CollapseEventData.detected(analysis: result, step: step, links: links)
            }
            if let job = announced {
                logger.notice("event recorded", metadata: ["type": "\(announcement == .warning ? "collapse.warning" : "collapse.detected")", "series": "\(series)", "job": "\(job)"])
            }
        }
    }
}

/// A train run's follow-up while it evaluates: the page before each event, collapse.warning once and
/// only before the collapse, collapse.detected once (both across resumes), every event fenced by the lease.
public final class RunFollowUp: RunAnnouncer {
    let owner: JobFollowUp
    let lease: JobLease
    let pageEachEvaluation: Bool
    private var history: [JSONValue] = []
    private var warning: JSONValue?
    private var collapseAnnounced = false

    init(_ owner: JobFollowUp, lease: JobLease, pageEachEvaluation: Bool) {
        self.owner = owner
        self.lease = lease
        self.pageEachEvaluation = pageEachEvaluation
    }

    public func evaluated(_ record: EvaluationRecord) throws {
        // The history only feeds the run's page: kept only when pages are written.
        if owner.reports != nil, let json = try? JSONValue.from(record) { history.append(json) }
        let firstCollapse = record.verdict == .collapsed && !collapseAnnounced
        if pageEachEvaluation || firstCollapse { writePage() }
        guard firstCollapse else { return }
        collapseAnnounced = true
        if try JobEvents.recorded(owner.db, lease.jobID, [.collapseDetected]) { return }
        try JobEvents.record(owner.db, fencedBy: lease, .collapseDetected,
                             CollapseEventData.detected(record, reportURL: owner.reports?.url(lease.jobID)))
    }

    public func warned(_ warning: CollapseWarning, onWarning: WarningIntervention?) throws {
        guard !collapseAnnounced, try !JobEvents.recorded(owner.db, lease.jobID, [.collapseWarning, .collapseDetected]) else { return }
        self.warning = try JSONValue.from(warning)
        writePage()
        try JobEvents.record(owner.db, fencedBy: lease, .collapseWarning, try CollapseEventData.warning(warning, onWarning: onWarning, reportURL: owner.reports?.url(lease.jobID)))
    }

    /// An analysis' provisional verdict: its page, and its series' page for a series step (no event:
    /// events come from the final verdict). Logged, never fatal.
    public func provisional(_ verdict: ProvisionalVerdict) throws {
        guard let reports = owner.reports else { return }
        do {
            try reports.publishRunning(owner.db, jobID: lease.jobID)
            if let series = try SeriesStore.seriesOf(owner.db, job: lease.jobID) { try reports.publishSeries(owner.db, name: series) }
        } catch {
            owner.logger.warning("provisional page not written", metadata: ["job": "\(lease.jobID)", "error": "\(error)"])
        }
    }

    /// The run's page with its evaluations so far and the warning; logged, never fatal.
    private func writePage() {
        guard let reports = owner.reports else { return }
        do { try reports.publishProgress(owner.db, jobID: lease.jobID, history: history, warning: warning) } catch {
            owner.logger.warning("progress report not written", metadata: ["job": "\(lease.jobID)", "error": "\(error)"])
        }
    }
}
