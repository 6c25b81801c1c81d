// A step-0 risk as stored (a series' `risk`, a result's `collapse_risk`), read by the pages and the CLI.
import CollapseRisk

public enum StoredRisk {
    /// The run's miner when the stored risk is reported only, its miner being one the model does not
    /// warn for (`RiskModel.calibratedMiners`); nil for a risk that can warn, or one stored before the
    /// miner was recorded (batch-hard's).
    public static func reportedOnlyMiner(_ risk: JSONValue?) -> String? {
        guard case .string(let miner)? = risk?["miner"], !RiskModel.calibratedMiners.contains(miner) else { return nil }
        return miner
    }
}
