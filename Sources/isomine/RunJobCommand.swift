// The child process of a worker: runs one claimed job and exits; the worker heartbeats and watches it.
import Console
import ArgumentParser
import Workers

/// `isomine run-job`: hidden; started by `isomine worker` for each job (see `JobProcessInvocation`,
/// which writes and reads its arguments, and `JobProcess`, which it runs).
struct RunJobCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: JobProcessInvocation.subcommand,
        abstract: "Run one claimed job (started by the worker; not for direct use).",
        shouldDisplay: false)

    @Argument(parsing: .captureForPassthrough) var arguments: [String] = []

    func run() throws {
        let invocation: JobProcessInvocation
        do { invocation = try JobProcessInvocation(parsing: arguments) } catch { throw ValidationError("\(error)") }
        JobProcess.run(invocation) { try LoggingOptions.parse([]).bootstrap() }
    }
}
