// A child process spawned with posix_spawn, its stderr forwarded and its tail kept, reaped with waitpid.
import Postgres
import Queue
import Webhooks
import CProcess
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How a child process ended.
public enum ChildExit: Equatable, Sendable {
    case exited(Int32)
    case signalled(Int32)
}

/// One spawned process. Owns the read end of its stderr pipe (closed in `deinit`); the process is
/// reaped by `poll()` or `wait()`. Not thread-safe: one supervisor thread drives it.
final class ChildProcess {
    let pid: pid_t
    private var stderrFD: Int32
    private var tail = [UInt8]()
    private(set) var exit: ChildExit?
    /// Most bytes of the child's stderr kept for classifying its end.
    static let tailBytes = 8192

    /// Starts `executable` with `arguments` (argv[0] included) and `environment`; stdout goes to ours,
    /// stderr through a pipe that `poll()` forwards to ours.
    init(executable: String, arguments: [String], environment: [String: String]) throws {
        var pipeFDs: [Int32] = [0, 0]
        guard pipe(&pipeFDs) == 0 else { throw JobProcessError("could not create a pipe for the job process: \(String(cString: strerror(errno)))") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 2)
        posix_spawn_file_actions_addclose(&actions, pipeFDs[0])
        posix_spawn_file_actions_addclose(&actions, pipeFDs[1])
        // Nothing else of the worker's (its ops server's socket, another job's pipe) goes to the job.
        _ = isomine_spawn_close_from(&actions, 3)
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        // SIGTERM and SIGINT start blocked (and at their default action): the job process installs its
        // stop handler and unblocks them, so a stop sent while it starts waits for it instead of killing it.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var stops = sigset_t()
        sigemptyset(&stops)
        sigaddset(&stops, SIGTERM)
        sigaddset(&stops, SIGINT)
        posix_spawnattr_setsigmask(&attributes, &stops)
        posix_spawnattr_setsigdefault(&attributes, &stops)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var child: pid_t = 0
        let rc = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        close(pipeFDs[1])
        guard rc == 0 else {
            close(pipeFDs[0])
            throw JobProcessError("could not start the job process \(executable): \(String(cString: strerror(rc)))")
        }
        pid = child
        stderrFD = pipeFDs[0]
        _ = fcntl(stderrFD, F_SETFL, fcntl(stderrFD, F_GETFL) | O_NONBLOCK)
    }

    deinit {
        if stderrFD >= 0 { close(stderrFD) }
        // Never leave a zombie or an orphan computing: a child still running when its owner goes is killed.
        if exit == nil {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
        }
    }

    /// The last bytes the child wrote to stderr, as text.
    var stderrTail: String { String(decoding: tail, as: UTF8.self) }

    /// Forwards what the child wrote to stderr and reaps it if it ended; returns its end once known.
    @discardableResult
    func poll() -> ChildExit? {
        drain()
        if exit != nil { return exit }
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        if r == pid {
            exit = ChildProcess.decode(status)
            drain()
        }
        return exit
    }

    /// Sends `signal` unless the child has been reaped.
    func send(_ signal: Int32) {
        if exit == nil { kill(pid, signal) }
    }

    private func drain() {
        guard stderrFD >= 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(stderrFD, $0.baseAddress, 4096) }
            if n <= 0 {
                if n == 0 { close(stderrFD); stderrFD = -1 }  // EOF: the child and its descendants closed it
                return
            }
            buffer.withUnsafeBytes { _ = write(2, $0.baseAddress, n) }
            tail.append(contentsOf: buffer[0..<n])
            if tail.count > ChildProcess.tailBytes { tail.removeFirst(tail.count - ChildProcess.tailBytes) }
        }
    }

    static func decode(_ status: Int32) -> ChildExit {
        // WIFEXITED / WEXITSTATUS / WTERMSIG are macros; the encoding is Linux's.
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
    }
}
