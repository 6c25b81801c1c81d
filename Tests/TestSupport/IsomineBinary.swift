// The one way tests start the `isomine` binary.
import Foundation

/// The `isomine` executable built next to the test bundle.
public enum IsomineBinary {
    public static let path = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        .appendingPathComponent("isomine").path

    /// The test's environment with `extra` over it and one BLAS thread.
    public static func environment(_ extra: [String: String]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["OPENBLAS_NUM_THREADS"] = "1"
        for (k, v) in extra { env[k] = v }
        return env
    }

    /// Starts `isomine arguments…`.
    public static func start(_ arguments: [String], environment extra: [String: String] = [:],
                             stdout: SpawnedStream = .discard, stderr: SpawnedStream = .discard) throws -> Spawned {
        try Spawned(path, arguments, environment: environment(extra), stdout: stdout, stderr: stderr)
    }

    /// Runs `isomine arguments…` to its end (at most `seconds`) and returns what it printed.
    public static func run(_ arguments: [String], environment extra: [String: String] = [:], within seconds: Double = 600) throws -> CommandOutput {
        try runCommand(path, arguments, environment: environment(extra), within: seconds)
    }
}
