// The project checkout the tests run from: its scripts, examples and Python client.
import Foundation

/// The project root (the folder holding Package.swift), for deploy/, clients/ and deploy/examples.
public let projectRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// Runs `script` with Debian's python3 (numpy and psycopg2 from apt) and the project's client on its path.
public func runPython(_ script: String, _ arguments: [String]) throws -> CommandOutput {
    var env = ProcessInfo.processInfo.environment
    env["PYTHONPATH"] = projectRoot + "/clients/python"
    return try runCommand("/usr/bin/python3", [script] + arguments, environment: env)
}

/// A private PostgreSQL cluster started with deploy/pg.sh in a directory of its own, destroyed at the end.
public final class PrivateCluster {
    public let dir: String
    public let socket: String

    public init() throws {
        dir = "/tmp/isomine-restart-" + UUID().uuidString.prefix(8).lowercased()
        socket = dir + "/socket"
        // The owner's pid, before the server exists: deploy/test.sh removes clusters whose owner is gone
        // (a killed test run cannot destroy its own).
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "\(ProcessInfo.processInfo.processIdentifier)\n".write(toFile: dir + "/owner.pid", atomically: true, encoding: .utf8)
        try run("start")
    }

    /// Runs `deploy/pg.sh <command>` for this cluster (spawned and reaped with waitpid: the script
    /// leaves a server daemon behind, which a wait for every descendant would never see end).
    public func run(_ command: String) throws {
        let env = ProcessInfo.processInfo.environment.merging(["ISOMINE_PG_DIR": dir]) { $1 }
        let r = try runCommand("/bin/bash", [projectRoot + "/deploy/pg.sh", command], environment: env, within: 120)
        guard r.status == 0 else { throw TestSetupError("deploy/pg.sh \(command) failed (status \(r.status)): \(r.err)") }
    }

    public var conninfo: String { "host=\(socket) user=postgres dbname=isomine" }

    deinit {
        do { try run("destroy") } catch { FileHandle.standardError.write(Data("warning: \(error); remove \(dir) by hand\n".utf8)) }
    }
}

/// Starts `python3 script arguments…` with the repository's client on its path, output captured (the
/// caller waits and reads it).
public func startPython(_ script: String, _ arguments: [String]) throws -> Spawned {
    var env = ProcessInfo.processInfo.environment
    env["PYTHONPATH"] = projectRoot + "/clients/python"
    return try Spawned("/usr/bin/python3", [script] + arguments, environment: env, stdout: .capture, stderr: .capture)
}
