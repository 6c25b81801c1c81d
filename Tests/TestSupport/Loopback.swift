// A real HTTP receiver on loopback for webhook deliveries (Python, verifying signatures with its own
// hmac), and free loopback ports.
import Foundation
import Specs
import Webhooks

/// The test receiver (Tests/TestSupport/Fixtures/webhook_receiver.py), stopped in deinit.
public final class Receiver {
    public let process: Spawned
    public let dir: String
    public let port: Int
    /// The python process itself (the launched process may be a wrapper that defers SIGTERM).
    public let pid: pid_t
    public var log: String { dir + "/log.jsonl" }

    public init(secret: WebhookSecret, responses: String = "200", delay: Double = 0, retryAfter: String = "", location: String = "", port: Int = 0) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("isomine-hook-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/webhook_receiver.py").path
        // Not the test's own stdout: a receiver outliving a killed test run would hold that pipe open.
        process = try Spawned("/usr/bin/env", ["python3", script, "--port", String(port), "--port-file", dir + "/port", "--log", dir + "/log.jsonl",
                                               "--secret", secret.text, "--responses", responses, "--delay", String(delay), "--retry-after", retryAfter, "--location", location])
        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: dir + "/port") && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        let parts = ((try? String(contentsOfFile: dir + "/port", encoding: .utf8)) ?? "").split(separator: " ").compactMap { Int($0) }
        guard parts.count == 2 else { throw TestSetupError("the test receiver did not start (is python3 installed?)") }
        self.port = parts[0]
        self.pid = pid_t(parts[1])
    }

    public var url: String { "http://127.0.0.1:\(port)/hook" }

    /// The requests received so far.
    public func requests() -> [JSONValue] {
        guard let text = try? String(contentsOfFile: log, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONValue.parse(Data($0.utf8)) }
    }

    public func stop() {
        kill(pid, SIGKILL)
        process.stop(within: 10)
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: dir)
    }
}

/// A loopback port nothing listens on (bound, read, released).
public func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return Int(UInt16(bigEndian: addr.sin_port))
}
