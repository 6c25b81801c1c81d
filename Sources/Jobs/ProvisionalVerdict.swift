// The quick verdict an analysis records before its f* search (issue 23).
import Estimators

/// An analysis' verdict as it stands after retrieval, the spread and the separation, before the f* search
/// (which takes nearly all of an analysis' time). The verdict's level and headline rest on exactly these
/// inputs (f*'s contraction is context only), so the final verdict's level equals this one's unless the
/// rule comes to read something only the f* search gives; when the two differ, the final one stands and
/// pages and `series show` say the provisional one was contradicted. Events come from the final verdict only.
public struct ProvisionalVerdict: Sendable, Codable, Equatable {
    public var verdict: VerdictLevel
    public var headline: String
    public var diagnosis: Diagnosis
    public var precisionAt1: Double
    public var mapAtR: Double
    /// The probe's spread over its reference (a series' baseline, `reference_scale`, the sphere).
    public var relativeSpread: Double?
    public var lHard: Double
    /// Seconds from the start of the analysis to this verdict.
    public var seconds: Double

    public init(diagnosis: Diagnosis, precisionAt1: Double, mapAtR: Double, relativeSpread: Double?, lHard: Double, seconds: Double) {
        verdict = diagnosis.verdict
        headline = diagnosis.headline
        self.diagnosis = diagnosis
        self.precisionAt1 = precisionAt1
        self.mapAtR = mapAtR
        self.relativeSpread = relativeSpread
        self.lHard = lHard
        self.seconds = seconds
    }

    /// Whether the final verdict (its level, as result.json spells it) contradicts this one. (series_json
    /// says the same in SQL: the levels differ.)
    public func isContradicted(byFinal level: String) -> Bool { level != verdict.rawValue }

    enum CodingKeys: String, CodingKey {
        case verdict, headline, diagnosis, seconds
        case precisionAt1 = "precision_at_1"
        case mapAtR = "map_at_r"
        case relativeSpread = "relative_spread"
        case lHard = "l_hard"
    }
}
