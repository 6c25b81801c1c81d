// The one way tests start the `isomine` binary.
import Foundation

/// The `isomine` executable built next to the test bundle.
public enum IsomineBinary {
    public static let path = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        .appendingPathComponent("isomine").path

    /// The test's environment with one thread per job, then (given a `database`) that database and its
    /// own reports folder (a folder belongs to one database), then `extra` over it all.
    public static func environment(database: String? = nil, _ extra: [String: String]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["OPENBLAS_NUM_THREADS"] = "1"
        // Jobs compute on one thread each (tests run many at once), unless a spec sets `threads`.
        env["ISOMINE_JOB_THREADS"] = "1"
        if let database {
            env["DATABASE_URL"] = "dbname=\(database)"
            env["ISOMINE_REPORTS_ROOT"] = reportsRoot(database)
        }
        for (k, v) in extra { env[k] = v }
        return env
    }

    /// Starts `isomine arguments…`, against `database` when given.
    public static func start(_ arguments: [String], database: String? = nil, environment extra: [String: String] = [:],
                             stdout: SpawnedStream = .discard, stderr: SpawnedStream = .discard) throws -> Spawned {
        try Spawned(path, arguments, environment: environment(database: database, extra), stdout: stdout, stderr: stderr)
    }

    /// Runs `isomine arguments…` (against `database` when given) to its end, at most `seconds`, and
    /// returns what it printed.
    public static func run(_ arguments: [String], database: String? = nil, environment extra: [String: String] = [:],
                           within seconds: Double = 600) throws -> CommandOutput {
        try runCommand(path, arguments, environment: environment(database: database, extra), within: seconds)
    }
}
