// One PostgreSQL connection: the owner of a libpq PGconn, freed in deinit. Statements are `PGQuery`s
// (typed parameters, never spliced), results typed rows; transactions, LISTEN/NOTIFY.
import CLibPQ
import Foundation

/// A NOTIFY received on a LISTEN channel.
public struct PGNotification: Sendable, Equatable {
    public let channel: String
    public let payload: String
}

/// A connection to PostgreSQL. Not thread-safe: one owner uses it (its calls block, so keep them off
/// the cooperative thread pool).
public final class PGConnection {
    private let handle: OpaquePointer
    /// The connection string it was opened with. May hold a password: never log or print it.
    let conninfo: String

    /// The connector it was opened with, to open siblings (a heartbeat connection, a job's child process
    /// through its environment).
    public var connector: PGConnector { PGConnector(conninfo: conninfo) }

    /// Connects with a libpq connection string or URI; "" uses libpq's PG* environment variables.
    /// The error never repeats the connection string (it may hold a password).
    public init(_ conninfo: String) throws {
        guard let h = PQconnectdb(conninfo) else { throw PGError(.connection, "out of memory creating a connection") }
        guard PQstatus(h) == CONNECTION_OK else {
            let message = PGConnection.oneLine(String(cString: PQerrorMessage(h)))
            PQfinish(h)
            throw PGError(.connection, "cannot connect: \(message)")
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

    deinit { PQfinish(handle) }

    /// Whether the connection is lost (server restarted, backend terminated, network gone).
    public var isBroken: Bool { PQstatus(handle) != CONNECTION_OK }

    /// Runs one statement; its interpolated values are sent as typed parameters, apart from the SQL text.
    @discardableResult
    public func execute(_ query: PGQuery) throws -> PGRows {
        let binds = query.binds
        let types = binds.map { Oid($0.type.rawValue) }
        let lengths = binds.map { Int32($0.bytes?.count ?? 0) }
        let formats = binds.map { Int32($0.binary ? 1 : 0) }
        // Each value as a NUL-terminated copy (text parameters are read up to NUL; binary ones by length).
        let copies: [UnsafeMutablePointer<CChar>?] = binds.map { bind in
            bind.bytes.map { bytes in
                let p = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
                bytes.withUnsafeBufferPointer { b in
                    b.withMemoryRebound(to: CChar.self) { p.update(from: $0.baseAddress!, count: bytes.count) }
                }
                p[bytes.count] = 0
                return p
            }
        }
        defer { for c in copies { c?.deallocate() } }
        let values: [UnsafePointer<CChar>?] = copies.map { $0.map { UnsafePointer($0) } }
        let result = values.withUnsafeBufferPointer { v in
            types.withUnsafeBufferPointer { t in
                lengths.withUnsafeBufferPointer { l in
                    formats.withUnsafeBufferPointer { f in
                        PQexecParams(handle, query.sql, Int32(binds.count), t.baseAddress, v.baseAddress, l.baseAddress, f.baseAddress, 0)
                    }
                }
            }
        }
        return try consume(result)
    }

    /// Runs a script of several statements without parameters: only for the static migration files.
    public func executeScript(_ sql: String) throws {
        // A script may hold several statements, which PQexecParams refuses: only PQexec runs it.
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
        try execute("SELECT pg_notify(\(channel), \(payload))")
    }

    /// Subscribes to a NOTIFY channel (a fixed identifier of isomine's, quoted).
    public func listen(_ channel: String) throws {
        try execute("LISTEN \(identifier: channel)")
    }

    /// Waits up to `timeout` seconds on the connection's socket and returns the notifications received.
    public func notifications(timeout: Double) throws -> [PGNotification] {
        var out = drainNotifications()
        if !out.isEmpty { return out }
        var pfd = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        let ready = poll(&pfd, 1, Int32(max(0, timeout) * 1000))
        if ready > 0 {
            guard PQconsumeInput(handle) == 1 else { throw PGError(.connection, lastError) }
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
        guard let result else { throw PGError(isBroken ? .connection : .decoding, lastError) }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            let nCols = Int(PQnfields(result)), nRows = Int(PQntuples(result))
            let columns = (0..<nCols).map { String(cString: PQfname(result, Int32($0))) }
            let types = (0..<nCols).map { UInt32(PQftype(result, Int32($0))) }
            var cells = ContiguousArray<String?>()
            cells.reserveCapacity(nRows * nCols)
            for r in 0..<nRows {
                for c in 0..<nCols {
                    cells.append(PQgetisnull(result, Int32(r), Int32(c)) == 1 ? nil : String(cString: PQgetvalue(result, Int32(r), Int32(c))))
                }
            }
            let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
            return PGRows(columns: columns, types: types, cells: cells, affected: affected)
        default:
            let field = { (code: Character) in PQresultErrorField(result, Int32(code.asciiValue!)).map { String(cString: $0) } }
            let message = field("M") ?? lastError
            // No SQLSTATE: libpq's own failure (the connection dropped mid-statement).
            guard let state = field("C") else { throw PGError(.connection, message) }
            // A database that was never migrated: say what to do rather than "relation … does not exist".
            if (state == "42P01" || state == "3F000" || state == "42883") && message.contains("isomine") {
                throw PGError(.server(sqlstate: state), "\(message): this database has no isomine schema (or an old one); run `isomine migrate` first")
            }
            throw PGError(.server(sqlstate: state), message)
        }
    }
}

/// A connection opened on first use and opened again after it broke: for the side connections that
/// must outlive a database restart (heartbeats, the metrics endpoint, the worker registry). One owner
/// uses it, like `PGConnection`.
public final class PGSession {
    private let connector: PGConnector
    private var open: PGConnection?

    public init(_ connector: PGConnector) { self.connector = connector }

    /// The open connection, connecting (again) when there is none or it broke.
    public func connection() throws -> PGConnection {
        if let c = open, !c.isBroken { return c }
        open = nil
        let c = try connector.connect()
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
