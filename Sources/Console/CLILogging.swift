// Logging for the command line: swift-log to stderr at a chosen level (quiet by default).
import ArgumentParser
import Logging

/// `--log-level`, shared by commands that run jobs.
public struct LoggingOptions: ParsableArguments {
    @Option(name: .long, help: "Log level on stderr: trace, debug, info, notice, warning, error, critical.")
    public var logLevel: String = "warning"

    public init() {}

    /// Installs a stderr handler at the chosen level and returns the CLI's logger.
    public func bootstrap() throws -> Logger {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level: unknown level '\(logLevel)'; expected trace, debug, info, notice, warning, error or critical")
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
