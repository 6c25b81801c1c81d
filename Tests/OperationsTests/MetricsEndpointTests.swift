// `worker --metrics-address`: Prometheus text exposition with counters that move as jobs run, and the
// health and readiness probes.
import Foundation
import TestSupport
import Testing
import Jobs
@testable import Postgres
@testable import Queue
@testable import Webhooks
@testable import Workers

/// GET `path` from 127.0.0.1:`port` over a plain socket: (status, body).
func httpGet(port: Int, _ path: String) -> (status: Int, body: String)? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = UInt16(port).bigEndian
    let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    guard ok == 0 else { return nil }
    let request = Array("GET \(path) HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8)
    _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
    var response = [UInt8]()
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 4096, 0) }
        if n <= 0 { break }
        response += buffer[0..<n]
    }
    let text = String(decoding: response, as: UTF8.self)
    guard let head = text.range(of: "\r\n\r\n"), let status = Int(text.split(separator: " ").dropFirst().first ?? "") else { return nil }
    return (status, String(text[head.upperBound...]))
}

/// Sample values of a Prometheus text exposition, keyed by `name{labels}` as written.
func samples(_ exposition: String) -> [String: Double] {
    var out: [String: Double] = [:]
    for line in exposition.split(separator: "\n") where !line.hasPrefix("#") {
        guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
        out[String(line[..<space])] = value
    }
    return out
}

@Suite struct MetricsEndpointTests {
    /// With the database down, /readyz says so without naming the database's host, port or socket.
    @Test func readinessDoesNotTellWhereTheDatabaseIs() throws {
        let port = try freePort()
        let worker = try IsomineBinary.start(["worker", "--metrics-address", "127.0.0.1:\(port)"], database: "nowhere",
                                      environment: ["DATABASE_URL": "host=/tmp/isomine-no-such-socket-dir port=5999 dbname=nowhere"])
        defer { worker.stop() }
        #expect(waitUntil(20) { httpGet(port: port, "/healthz")?.status == 200 })
        let ready = httpGet(port: port, "/readyz")
        #expect(ready?.status == 503 && ready?.body == "not ready: database unreachable\n", "\(String(describing: ready))")
        #expect(ready?.body.contains("5999") == false && ready?.body.contains("isomine-no-such-socket-dir") == false)
    }

    @Test func metricsMoveAsJobsRunAndProbesAnswer() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let port = try freePort()
        let worker = try IsomineBinary.start(["worker", "--metrics-address", "127.0.0.1:\(port)", "--poll-seconds", "0.2"], database: scratch.name)
        defer { worker.stop() }
        #expect(waitUntil(20) { httpGet(port: port, "/healthz")?.status == 200 })
        #expect(httpGet(port: port, "/readyz")?.status == 200)
        let before = samples(try #require(httpGet(port: port, "/metrics")).body)
        #expect(before["isomine_slots"] == 1 && before["isomine_database_up"] == 1)
        #expect(before["isomine_jobs_started_total{kind=\"analyze\"}"] == nil)
        for _ in 0..<2 { _ = try JobQueue.enqueue(db, kind: "analyze", spec: quickAnalyze) }
        #expect(try waitUntil(60) { try count(db, "SELECT count(*) AS n FROM isomine.jobs WHERE state = 'succeeded'") == 2 })
        var after: [String: Double] = [:]
        _ = waitUntil(10) {
            after = samples(httpGet(port: port, "/metrics")?.body ?? "")
            return after["isomine_jobs_finished_total{kind=\"analyze\",outcome=\"succeeded\"}"] == 2
        }
        #expect(after["isomine_jobs_started_total{kind=\"analyze\"}"] == 2)
        #expect(after["isomine_jobs_finished_total{kind=\"analyze\",outcome=\"succeeded\"}"] == 2)
        #expect(after["isomine_job_duration_seconds_count{kind=\"analyze\"}"] == 2)
        #expect(after["isomine_jobs{queue=\"default\",kind=\"analyze\",state=\"succeeded\"}"] == 2)
        #expect(after["isomine_busy_slots"] == 0)
        // A monitored series' rows: evaluated by the worker's monitor thread, none left pending.
        _ = try db.execute("SELECT isomine.start_monitor('watched', '{\"margin\": 0.2}')")
        let rows = (0..<3).map { #"{"step": \#($0), "loss": 0.1, "active_fraction": 0.2, "mean_positive": 1, "mean_negative": 1.5, "gap": 0.5, "batch_spread": 2}"# }
        _ = try db.execute("SELECT isomine.submit_signals('watched', \(PGJSON(text: "[" + rows.joined(separator: ",") + "]")))")
        #expect(waitUntil(20) {
            let m = samples(httpGet(port: port, "/metrics")?.body ?? "")
            return m["isomine_monitor_rows_evaluated_total"] == 3 && m["isomine_monitor_rows_pending"] == 0
        }, "\(samples(httpGet(port: port, "/metrics")?.body ?? "").filter { $0.key.contains("monitor") })")
        #expect(httpGet(port: port, "/nope")?.status == 404)
        // Readiness follows the database's migrations.
        try db.execute("DELETE FROM isomine.schema_migrations WHERE version = (SELECT max(version) FROM isomine.schema_migrations)")
        let notReady = httpGet(port: port, "/readyz")
        #expect(notReady?.status == 503 && notReady?.body.contains("run isomine migrate") == true, "\(String(describing: notReady))")
        // A second worker on the same address is a clear error.
        let clash = try IsomineBinary.run(["worker", "--metrics-address", "127.0.0.1:\(port)"], database: scratch.name)
        #expect(clash.status == 2 && clash.err.contains("already in use"), "\(clash.err)")
        let malformed = try IsomineBinary.run(["worker", "--metrics-address", "localhost"], database: scratch.name)
        #expect(malformed.status == 2 && malformed.err.contains("is not HOST:PORT"))
    }
}
