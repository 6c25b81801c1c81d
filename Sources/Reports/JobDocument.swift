// What a report is drawn from: a job's row (or a local run's directory) and its artifacts.
import Foundation
import Jobs
import Vocabulary

/// One job as the report sees it: identity, state, spec, result and artifacts.
public struct JobDocument: Sendable {
    /// The job id (nil for `isomine run`).
    public var id: Int?
    public var kind: JobKind
    public var state: JobState
    public var spec: JSONValue
    public var result: JSONValue?
    public var lastError: String?
    public var createdAt: String?
    public var startedAt: String?
    public var finishedAt: String?
    /// Artifact bytes by name (probe_start.npy, probe_final.npy, f_star_iso.npy, …).
    public var artifacts: [String: [UInt8]]
    /// An analysis' provisional verdict (`ProvisionalVerdict`, the job row's `provisional`), when recorded.
    public var provisional: JSONValue?

    public init(id: Int? = nil, kind: JobKind, state: JobState, spec: JSONValue, result: JSONValue?, lastError: String? = nil,
                createdAt: String? = nil, startedAt: String? = nil, finishedAt: String? = nil, artifacts: [String: [UInt8]] = [:]) {
        self.id = id
        self.kind = kind
        self.state = state
        self.spec = spec
        self.result = result
        self.lastError = lastError
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.artifacts = artifacts
    }

    /// The provisional verdict, when there is one that decodes.
    public var provisionalVerdict: ProvisionalVerdict? { JobDocument.provisionalVerdict(provisional) }

    /// A row's `provisional` decoded (nil when absent or not decodable).
    static func provisionalVerdict(_ json: JSONValue?) -> ProvisionalVerdict? {
        guard let p = json, p != .null, let data = try? p.serialized(pretty: false) else { return nil }
        return try? JSONDecoder().decode(ProvisionalVerdict.self, from: data)
    }

    /// The series this analysis is a step of, and its step (from the spec), when it is one.
    public var seriesStep: (series: String, step: Int)? {
        guard case .string(let series)? = spec["series"], case .number(let step)? = spec["step"], step >= 0, step < 1e10 else { return nil }
        return (series, Int(step))
    }

    /// The spec's name, when it has one.
    public var specName: String? {
        if case .string(let n)? = spec["name"], !n.isEmpty { return n }
        return nil
    }

    /// The spec's name, else `kind job ID`.
    public var name: String { specName ?? "\(kind) job" + (id.map { " \($0)" } ?? "") }

    /// The page's title: `series S · step N` for a series step (its name, if any, is on the line below),
    /// else the name.
    public var title: String {
        if let s = seriesStep { return "series \(s.series) · step \(s.step)" }
        return name
    }

    /// The final verdict, when the result has one.
    public var verdict: String? {
        if case .string(let v)? = result?["verdict"] { return v }
        return nil
    }

    /// The final verdict's headline, naming the state (e.g. `collapsed (distances; ranking intact)`);
    /// the verdict itself for results written before headlines.
    public var headline: String? {
        if case .string(let h)? = result?["final"]?["diagnosis"]?["headline"] { return h }
        return verdict
    }
}
