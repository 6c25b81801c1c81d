// The worker's operations endpoint: GET /metrics (Prometheus text exposition), /healthz and /readyz.
//
// Why not Hummingbird or SwiftNIO: three fixed GET routes for a scraper do not need an event loop, and
// those packages add minutes to every clean CI build. This is a small HTTP/1.1 responder on one thread:
// one request per connection (Connection: close), requests capped at 8 KiB, a 2 s read timeout so a
// slow client cannot hold it, and anything but GET of the three paths answered 404 / 405.
import Postgres
import Queue
import Webhooks
import Vocabulary
import Foundation
import Migrations
import CoreMetrics
import Prometheus
#if canImport(Glibc)
import Glibc
#endif

/// A problem with the metrics address (malformed, or the port is taken).
public struct OpsAddressError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Serves /metrics, /healthz and /readyz on its own thread until the process ends.
public final class OpsServer: @unchecked Sendable {
    // `fd` is written once in init; the thread only reads it. `database` is used on that thread only.
    private let fd: Int32
    private let registry: PrometheusCollectorRegistry
    private let database: PGSession
    /// The port actually bound (useful with port 0).
    public let port: Int

    /// Parses HOST:PORT (a name, an IPv4 address, or [IPv6]), binds and listens. Throws a clear
    /// `OpsAddressError` for a malformed address or one in use.
    public init(address: String, registry: PrometheusCollectorRegistry, database: PGConnector) throws {
        let (host, portText) = try OpsServer.split(address)
        guard let portNumber = Int(portText), (0...65535).contains(portNumber) else {
            throw OpsAddressError("--metrics-address: '\(address)' has no valid port (0–65535); write it as HOST:PORT, e.g. 127.0.0.1:9464")
        }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(portNumber), &hints, &result) == 0, let info = result else {
            throw OpsAddressError("--metrics-address: cannot resolve the host '\(host)' of '\(address)'")
        }
        defer { freeaddrinfo(result) }
        let s = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
        guard s >= 0 else { throw OpsAddressError("--metrics-address: cannot open a socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        guard bind(s, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            let reason = errno == EADDRINUSE ? "the address is already in use (another worker or program listens there)" : String(cString: strerror(errno))
            close(s)
            throw OpsAddressError("--metrics-address: cannot listen on \(address): \(reason)")
        }
        guard listen(s, 16) == 0 else {
            close(s)
            throw OpsAddressError("--metrics-address: cannot listen on \(address): \(String(cString: strerror(errno)))")
        }
        var bound = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &length) } }
        port = withUnsafePointer(to: &bound) { p -> Int in
            if Int32(p.pointee.ss_family) == AF_INET6 {
                return p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
            return p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
        fd = s
        self.registry = registry
        self.database = database.session()
    }

    deinit { close(fd) }

    /// HOST and PORT of "HOST:PORT" or "[V6]:PORT".
    public static func split(_ address: String) throws -> (String, String) {
        let malformed = OpsAddressError("--metrics-address: '\(address)' is not HOST:PORT (e.g. 127.0.0.1:9464, 0.0.0.0:9464 or [::1]:9464)")
        if address.hasPrefix("[") {
            guard let close = address.firstIndex(of: "]"), address[address.index(after: close)...].hasPrefix(":") else { throw malformed }
            let host = String(address[address.index(after: address.startIndex)..<close])
            let port = String(address[address.index(close, offsetBy: 2)...])
            guard !host.isEmpty, !port.isEmpty else { throw malformed }
            return (host, port)
        }
        let parts = address.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw malformed }
        return (String(parts[0]), String(parts[1]))
    }

    /// Starts the accept loop. `refresh` runs before each /metrics (the database-derived gauges).
    public func start(refresh: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 {
                    if errno == EINTR { continue }
                    return
                }
                handle(client, refresh: refresh)
                close(client)
            }
        }
        thread.name = "isomine.ops"
        thread.start()
    }

    private func handle(_ client: Int32, refresh: () -> Void) {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 2048)
        let end: [UInt8] = Array("\r\n\r\n".utf8)
        while request.count < 8192 {
            let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, 2048, 0) }
            if n <= 0 { break }
            request += buffer[0..<n]
            if OpsServer.hasHeadEnd(request, end) { break }
        }
        guard let line = String(decoding: request, as: UTF8.self).split(separator: "\r\n", maxSplits: 1).first else {
            return respond(client, 400, "bad request\n")
        }
        let parts = line.split(separator: " ")
        guard parts.count == 3, parts[2].hasPrefix("HTTP/1.") else { return respond(client, 400, "bad request\n") }
        let path = parts[1].split(separator: "?", maxSplits: 1).first.map(String.init) ?? ""
        guard ["/metrics", "/healthz", "/readyz"].contains(path) else { return respond(client, 404, "not found: try /metrics, /healthz or /readyz\n") }
        guard parts[0] == "GET" || parts[0] == "HEAD" else { return respond(client, 405, "method not allowed\n", extra: "Allow: GET, HEAD\r\n") }
        switch path {
        case "/metrics":
            refresh()
            respond(client, 200, registry.emitToString(), contentType: "text/plain; version=0.0.4; charset=utf-8", head: parts[0] == "HEAD")
        case "/healthz":
            respond(client, 200, "ok\n", head: parts[0] == "HEAD")
        default:
            let (ready, reason) = readiness()
            respond(client, ready ? 200 : 503, reason + "\n", head: parts[0] == "HEAD")
        }
    }

    /// Whether the request head is complete (a blank line seen).
    static func hasHeadEnd(_ request: [UInt8], _ end: [UInt8]) -> Bool {
        guard request.count >= end.count else { return false }
        return (0...(request.count - end.count)).contains { i in request[i..<(i + end.count)].elementsEqual(end) }
    }

    /// Ready when the database answers and its migrations are the ones this binary carries.
    private func readiness() -> (Bool, String) {
        do {
            let applied = try database.connection().execute("SELECT coalesce(max(version), 0) AS v FROM isomine.schema_migrations").row(0).require("v", as: Int.self)
            let expected = Migrations.all.last?.version ?? 0
            if applied < expected { return (false, "not ready: the database is at migration \(applied), this worker needs \(expected); run isomine migrate") }
            if applied > expected { return (false, "not ready: the database is at migration \(applied), newer than this worker (\(expected)); upgrade the worker") }
            return (true, "ready")
        } catch {
            // Unauthenticated callers learn that the database does not answer, never where it is (the
            // connection error names the host, port or socket path); the worker's log has the details.
            database.reset()
            return (false, "not ready: database unreachable")
        }
    }

    private func respond(_ client: Int32, _ status: Int, _ body: String, contentType: String = "text/plain; charset=utf-8", extra: String = "", head: Bool = false) {
        let reason = [200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"][status] ?? "Error"
        let bytes = Array(body.utf8)
        let header = "HTTP/1.1 \(status) \(reason)\r\nContent-Type: \(contentType)\r\nContent-Length: \(bytes.count)\r\n\(extra)Connection: close\r\n\r\n"
        let out = Array(header.utf8) + (head ? [] : bytes)
        var sent = 0
        while sent < out.count {
            let n = out[sent...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            sent += n
        }
    }
}

/// Gauges read from the database at each scrape: jobs by queue, kind and state, and how long the
/// oldest runnable job of each queue has waited.
public final class QueueGauges: @unchecked Sendable {
    // Used from the ops thread only (one scrape at a time).
    private let database: PGSession
    private var seenJobs = Set<[String]>()
    private var seenQueues = Set<String>()

    public init(_ connector: PGConnector) { database = connector.session() }

    public func refresh() {
        do {
            let db = try database.connection()
            struct Row: Decodable { let queue: String, kind: JobKind, state: JobState, n: Int }
            let rows = try db.execute("SELECT queue, kind, state, count(*) AS n FROM isomine.jobs GROUP BY queue, kind, state").decode(Row.self)
            var now = Set<[String]>()
            for row in rows {
                let key = [row.queue, row.kind.rawValue, row.state.rawValue]
                now.insert(key)
                Gauge(label: "isomine_jobs", dimensions: [("queue", key[0]), ("kind", key[1]), ("state", key[2])]).record(row.n)
            }
            // A combination that emptied reads 0 rather than its last value.
            for key in seenJobs.subtracting(now) {
                Gauge(label: "isomine_jobs", dimensions: [("queue", key[0]), ("kind", key[1]), ("state", key[2])]).record(0)
            }
            seenJobs.formUnion(now)
            let oldest = try db.execute("""
                SELECT queue, extract(epoch FROM now() - min(run_after)) AS waiting FROM isomine.jobs
                 WHERE state = 'queued' AND run_after <= now() GROUP BY queue
                """)
            var queues = Set<String>()
            for r in 0..<oldest.count {
                let q = try oldest.string(r, "queue") ?? ""
                queues.insert(q)
                Gauge(label: "isomine_oldest_queued_seconds", dimensions: [("queue", q)]).record(Double(try oldest.string(r, "waiting") ?? "0") ?? 0)
            }
            for q in seenQueues.subtracting(queues) { Gauge(label: "isomine_oldest_queued_seconds", dimensions: [("queue", q)]).record(0) }
            seenQueues.formUnion(queues)
            Gauge(label: "isomine_monitor_rows_pending").record(try MonitorStore.pendingRows(db))
            Gauge(label: "isomine_database_up").record(1)
        } catch {
            database.reset()
            Gauge(label: "isomine_database_up").record(0)
        }
    }
}
