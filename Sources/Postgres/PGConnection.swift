// One PostgreSQL connection: the owner of a libpq PGconn, freed in deinit. Parameterised queries only
// (except `executeScript`, for the static migration files), typed rows, transactions, LISTEN/NOTIFY.
import CLibPQ
import Foundation

/// Rows of a query result, as text (libpq's text format), with typed accessors.
public struct PGRows: Sendable {
    public let columns: [String]
    public let rows: [[String?]]
    /// Rows affected by INSERT/UPDATE/DELETE.
    public let affected: Int

    public var count: Int { rows.count }

    func index(_ column: String) throws -> Int {
        guard let i = columns.firstIndex(of: column) else { throw PGError("no column '\(column)' in the result") }
        return i
    }

    /// The value at `row` (an error, not a trap, when the result has fewer rows: a query may match nothing).
    public func string(_ row: Int, _ column: String) throws -> String? {
        guard row >= 0 && row < rows.count else { throw PGError("no row \(row) in a result of \(rows.count) rows") }
        return rows[row][try index(column)]
    }

    public func int(_ row: Int, _ column: String) throws -> Int? {
        guard let s = try string(row, column) else { return nil }
        guard let v = Int(s) else { throw PGError("column '\(column)' is not an integer: \(s)") }
        return v
    }

    public func bool(_ row: Int, _ column: String) throws -> Bool? {
        guard let s = try string(row, column) else { return nil }
        return s == "t"
    }
}

/// A NOTIFY received on a LISTEN channel.
public struct PGNotification: Sendable, Equatable {
    public let channel: String
    public let payload: String
}

/// A connection to PostgreSQL. Not thread-safe: one owner uses it (its calls block, so keep them off
/// the cooperative thread pool).
public final class PGConnection {
    private let handle: OpaquePointer
    /// The connection string it was opened with, to open siblings (a heartbeat connection, a job's child
    /// process through its environment). May hold a password: never log or print it.
    public let conninfo: String

    /// Connects with a libpq connection string or URI; "" uses libpq's PG* environment variables.
    /// The error never repeats the connection string (it may hold a password).
    public init(_ conninfo: String) throws {
        guard let h = PQconnectdb(conninfo) else { throw PGError("out of memory creating a connection") }
        guard PQstatus(h) == CONNECTION_OK else {
            let message = PGConnection.oneLine(String(cString: PQerrorMessage(h)))
            PQfinish(h)
            throw PGError("cannot connect: \(message)")
        }
        // Server NOTICEs ("schema already exists, skipping") would go to stderr; errors still throw.
        PQsetNoticeProcessor(h, { _, _ in }, nil)
        handle = h
        self.conninfo = conninfo
    }

    /// libpq messages span lines ("…failed: refused\n\tIs the server running…"); errors are one line.
    static func oneLine(_ s: String) -> String {
        s.split(whereSeparator: { $0.isNewline || $0 == "\t" }).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " ")
    }

    /// Connects with `DATABASE_URL`, or libpq's `PG*` variables when it is unset.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> PGConnection {
        try PGConnection(env["DATABASE_URL"] ?? "")
    }

    deinit { PQfinish(handle) }

    /// Whether the connection is lost (server restarted, backend terminated, network gone).
    public var isBroken: Bool { PQstatus(handle) != CONNECTION_OK }

    /// Runs one statement with `$1…$n` parameters sent separately from the SQL text (never interpolated).
    @discardableResult
    public func execute(_ sql: String, _ params: [String?] = []) throws -> PGRows {
        let copies = params.map { $0.map { strdup($0)! } }
        defer { for c in copies { free(c) } }
        let values: [UnsafePointer<CChar>?] = copies.map { $0.map { UnsafePointer($0) } }
        let result = values.withUnsafeBufferPointer { v in
            PQexecParams(handle, sql, Int32(params.count), nil, v.baseAddress, nil, nil, 0)
        }
        return try consume(result)
    }

    /// Runs a script of several statements without parameters: only for the static migration files.
    public func executeScript(_ sql: String) throws {
        _ = try consume(PQexec(handle, sql))
    }

    /// Runs `body` in a transaction: COMMIT when it returns, ROLLBACK when it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            _ = try? execute("ROLLBACK")
            throw error
        }
    }

    /// NOTIFY `channel` with `payload` (through pg_notify, parameterised); delivered at commit.
    public func notify(_ channel: String, _ payload: String) throws {
        try execute("SELECT pg_notify($1, $2)", [channel, payload])
    }

    /// Subscribes to a NOTIFY channel (a fixed identifier of isomine's, quoted).
    public func listen(_ channel: String) throws {
        try execute("LISTEN \"\(channel.replacingOccurrences(of: "\"", with: "\"\""))\"")
    }

    /// Waits up to `timeout` seconds on the connection's socket and returns the notifications received.
    public func notifications(timeout: Double) throws -> [PGNotification] {
        var out = drainNotifications()
        if !out.isEmpty { return out }
        var pfd = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        let ready = poll(&pfd, 1, Int32(max(0, timeout) * 1000))
        if ready > 0 {
            guard PQconsumeInput(handle) == 1 else { throw PGError(lastError) }
            out = drainNotifications()
        }
        return out
    }

    private func drainNotifications() -> [PGNotification] {
        var out = [PGNotification]()
        while let n = PQnotifies(handle) {
            out.append(PGNotification(channel: String(cString: n.pointee.relname), payload: String(cString: n.pointee.extra)))
            PQfreemem(n)
        }
        return out
    }

    private var lastError: String { PGConnection.oneLine(String(cString: PQerrorMessage(handle))) }

    private func consume(_ result: OpaquePointer?) throws -> PGRows {
        guard let result else { throw PGError(lastError) }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            let nCols = Int(PQnfields(result)), nRows = Int(PQntuples(result))
            let columns = (0..<nCols).map { String(cString: PQfname(result, Int32($0))) }
            var rows = [[String?]]()
            rows.reserveCapacity(nRows)
            for r in 0..<nRows {
                rows.append((0..<nCols).map { c in
                    PQgetisnull(result, Int32(r), Int32(c)) == 1 ? nil : String(cString: PQgetvalue(result, Int32(r), Int32(c)))
                })
            }
            let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
            return PGRows(columns: columns, rows: rows, affected: affected)
        default:
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            let message = PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) } ?? lastError
            // A database that was never migrated: say what to do rather than "relation … does not exist".
            if (state == "42P01" || state == "3F000" || state == "42883") && message.contains("isomine") {
                throw PGError(sqlstate: state, "\(message): this database has no isomine schema (or an old one); run `isomine migrate` first")
            }
            throw PGError(sqlstate: state, message)
        }
    }
}

/// A connection opened on first use and opened again after it broke: for the side connections that
/// must outlive a database restart (heartbeats, the metrics endpoint, the worker registry). One owner
/// uses it, like `PGConnection`.
public final class PGSession {
    private let conninfo: String
    private var open: PGConnection?

    public init(conninfo: String) { self.conninfo = conninfo }

    /// The open connection, connecting (again) when there is none or it broke.
    public func connection() throws -> PGConnection {
        if let c = open, !c.isBroken { return c }
        open = nil
        let c = try PGConnection(conninfo)
        open = c
        return c
    }

    /// Forgets the connection (after an error), so the next use reconnects.
    public func reset() { open = nil }

    /// The current connection if one is open (no connection attempt).
    public var current: PGConnection? { open }

    /// Waits `seconds` before a reconnection attempt, in short naps so that `stop` (a shutdown) is seen promptly.
    public static func wait(_ seconds: Double, unless stop: () -> Bool) {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end && !stop() { Thread.sleep(forTimeInterval: min(0.05, seconds)) }
    }
}
