// Logging for the command line: swift-log to stderr at a chosen level (quiet by default).
import ArgumentParser
import Logging

/// `--log-level`, shared by commands that run jobs.
public struct LoggingOptions: ParsableArguments {
    @Option(name: .long, help: "Log level on stderr: trace, debug, info, notice, warning, error, critical (default: warning; the worker: notice, a line per job claimed and ended, per event recorded and per webhook delivered or failed).")
    public var logLevel: String?

    public init() {}

    /// Installs a stderr handler at the chosen level (else `defaultLevel`: the command's own) and
    /// returns the CLI's logger.
    public func bootstrap(defaultLevel: Logger.Level = .warning) throws -> Logger {
        guard let level = logLevel.map({ Logger.Level(rawValue: $0) }) ?? defaultLevel else {
            throw ValidationError("--log-level: unknown level '\(logLevel ?? "")'; expected trace, debug, info, notice, warning, error or critical")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "isomine")
        logger.logLevel = level
        return logger
    }
}
