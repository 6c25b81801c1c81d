// Child processes for tests: posix_spawn with stdout and stderr in files, reaped with waitpid, every
// wait bounded. Foundation's Process is not used: its waitUntilExit waits for every descendant that
// inherited its socket (a daemon left behind, a browser's crash handler), pipes read one after the
// other deadlock once the other one fills, and an unbounded wait on a process that missed its stop
// signal holds a test thread forever — the whole suite then never ends.
import CProcess
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A test process that did not end in time (it has been killed).
public struct SpawnTimeout: Error, CustomStringConvertible {
    public let command: String
    public let seconds: Double
    public var description: String { "\(command) did not end within \(seconds) s; killed" }
}

/// A test process that could not be started.
public struct SpawnFailure: Error, CustomStringConvertible {
    public let description: String
}

/// Where a spawned process's stdout or stderr goes.
public enum SpawnedStream: Sendable {
    /// /dev/null.
    case discard
    /// A file read back by `output` / `errors`.
    case capture
}

/// One spawned process. Killed (SIGKILL) and reaped in `deinit` if still running, its files removed.
/// Not thread-safe: one test drives it.
public final class Spawned {
    public let processIdentifier: pid_t
    private let command: String
    private let directory: String
    private var exitStatus: Int32?

    /// Starts `executable` (a path) with `arguments` (argv[1...]) and `environment` (the test's own
    /// when nil). stdin is /dev/null; no descriptor of the test process but 0–2 is inherited.
    public init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                stdout: SpawnedStream = .discard, stderr: SpawnedStream = .discard) throws {
        command = ([URL(fileURLWithPath: executable).lastPathComponent] + arguments.prefix(2)).joined(separator: " ")
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("isomine-spawn-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout == .capture ? directory + "/out" : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderr == .capture ? directory + "/err" : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        // Tests spawn concurrently: a pipe or socket another test has open must not leak into this child.
        _ = isomine_spawn_close_from(&actions, 3)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard rc == 0 else {
            try? FileManager.default.removeItem(atPath: directory)
            throw SpawnFailure(description: "cannot start \(executable): \(String(cString: strerror(rc)))")
        }
        processIdentifier = pid
    }

    deinit {
        if exitStatus == nil {
            kill(processIdentifier, SIGKILL)
            var status: Int32 = 0
            while waitpid(processIdentifier, &status, 0) == -1 && errno == EINTR {}
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Reaps the process if it ended; true while it runs.
    public var isRunning: Bool {
        if exitStatus != nil { return false }
        var status: Int32 = 0
        if waitpid(processIdentifier, &status, WNOHANG) == processIdentifier { exitStatus = status }
        return exitStatus == nil
    }

    /// SIGTERM.
    public func terminate() { if isRunning { kill(processIdentifier, SIGTERM) } }
    /// SIGINT.
    public func interrupt() { if isRunning { kill(processIdentifier, SIGINT) } }

    /// Waits until the process ends, at most `seconds`; past that it is killed and `SpawnTimeout` thrown.
    public func wait(within seconds: Double = 600) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while isRunning {
            if Date() >= deadline {
                kill(processIdentifier, SIGKILL)
                var status: Int32 = 0
                while waitpid(processIdentifier, &status, 0) == -1 && errno == EINTR {}
                exitStatus = status
                throw SpawnTimeout(command: command, seconds: seconds)
            }
            usleep(5_000)
        }
    }

    /// Stops the process: SIGTERM, then SIGKILL if it has not ended within `seconds`. Never throws,
    /// for `defer`.
    public func stop(within seconds: Double = 30) {
        terminate()
        try? wait(within: seconds)
    }

    /// The exit status, or 128 + the signal that ended the process (as a shell reports it); -1 while running.
    public var terminationStatus: Int32 {
        guard let s = exitStatus else { return -1 }
        let signal = s & 0x7f
        return signal == 0 ? (s >> 8) & 0xff : 128 + signal
    }

    /// What the process wrote to stdout (`.capture`), so far.
    public var output: String { read("out") }
    /// What the process wrote to stderr (`.capture`), so far.
    public var errors: String { read("err") }

    private func read(_ name: String) -> String {
        (try? String(contentsOfFile: directory + "/" + name, encoding: .utf8)) ?? ""
    }
}

/// What a finished command printed and how it ended.
public struct CommandOutput: Sendable {
    public let status: Int32
    public let out: String
    public let err: String
}

/// Runs a command to its end (at most `seconds`, then it is killed and `SpawnTimeout` thrown).
public func runCommand(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                       within seconds: Double = 600) throws -> CommandOutput {
    let p = try Spawned(executable, arguments, environment: environment, stdout: .capture, stderr: .capture)
    try p.wait(within: seconds)
    return CommandOutput(status: p.terminationStatus, out: p.output, err: p.errors)
}

/// A test's own set-up failed (not the code under test): the message says what to fix.
public struct TestSetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
