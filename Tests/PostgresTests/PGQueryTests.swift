// Typed SQL: interpolated values become typed binds (never SQL text), fragments renumber, rows decode
// into structs, errors carry what failed. Against the real server: every value makes the round trip.
import Foundation
import TestSupport
import Testing
import Vocabulary
@testable import Postgres

@Suite struct PGQueryTests {
    @Test func interpolatedValuesAreBindsWithTheirTypes() {
        let id = 7, owner = "w1", ratio: Double? = nil
        let q: PGQuery = "UPDATE t SET r = \(ratio) WHERE id = \(id) AND owner = \(owner)"
        #expect(q.sql == "UPDATE t SET r = $1 WHERE id = $2 AND owner = $3")
        #expect(q.binds.map(\.type) == [.float8, .int8, .text])
        #expect(q.binds[0].bytes == nil && q.binds[1].bytes == Array("7".utf8) && q.binds[2].bytes == Array("w1".utf8))
        // The description shows the SQL only: values may be secrets.
        #expect(!"\(q)".contains("w1"))
    }

    @Test func fragmentsAreSplicedWithTheirPlaceholdersRenumbered() {
        let (job, owner, phase) = (3, "o", "p")
        let lease: PGQuery = "WITH lease AS (SELECT id FROM jobs WHERE id = \(job) AND owner = \(owner)) "
        let q = lease + "UPDATE jobs SET phase = \(phase) FROM lease"
        #expect(q.sql == "WITH lease AS (SELECT id FROM jobs WHERE id = $1 AND owner = $2) UPDATE jobs SET phase = $3 FROM lease")
        #expect(q.binds.count == 3)
        let one = 1
        let nested: PGQuery = "SELECT \(one), (\(lease))"
        #expect(nested.sql.hasPrefix("SELECT $1, (WITH lease AS (SELECT id FROM jobs WHERE id = $2 AND owner = $3)"))
        // A `$` that is not a placeholder (a jsonpath) is left alone; $12 moves as one number.
        #expect(PGQuery.renumber("'$.a' $1 $12", by: 3) == "'$.a' $4 $15")
    }

    @Test func everyTypeMakesTheRoundTripThroughTheServer() throws {
        let scratch = try ScratchDatabase()
        let db = try scratch.connect()
        let text = "it's \"quoted\", ünïcode, and a ; DROP TABLE x; --"
        let bytes = PGBytes([0, 1, 2, 255, 0, 0x5c, 0x78])
        let date = Date(timeIntervalSince1970: 1_765_000_000.123456)
        let json = try PGJSON(encoding: ["a": [1, 2], "b": [3]])
        let row = try db.execute("""
            SELECT \(42) AS i, \(-0.1) AS d, \(Double.infinity) AS inf, \(Double.nan) AS nan, \(true) AS b, \(text) AS t,
                   \(bytes) AS bytes, \(date) AS at, \(json) AS doc, \(nil as Int?) AS missing,
                   pg_typeof(\(42))::text AS int_type, pg_typeof(\(bytes))::text AS bytes_type, pg_typeof(\(json))::text AS json_type
            """).row(0)
        #expect(try row.require("i", as: Int.self) == 42)
        #expect(try row.require("d", as: Double.self) == -0.1)
        #expect(try row.require("inf", as: Double.self) == .infinity)
        #expect(try row.require("nan", as: Double.self).isNaN)
        #expect(try row.require("b", as: Bool.self))
        #expect(try row.require("t", as: String.self) == text)
        #expect(try row.require("bytes", as: PGBytes.self) == bytes)
        #expect(abs(try row.require("at", as: Date.self).timeIntervalSince(date)) < 1e-6)
        #expect(try row.value("missing", as: Int.self) == nil)
        #expect(try row.require("int_type", as: String.self) == "bigint")
        #expect(try row.require("bytes_type", as: String.self) == "bytea")
        #expect(try row.require("json_type", as: String.self) == "jsonb")
        struct Doc: Decodable, Equatable { let a: [Int], b: [Int] }
        struct Row: Decodable { let doc: Doc }
        #expect(try db.execute("SELECT \(json) AS doc").decodeOne(Row.self)?.doc == Doc(a: [1, 2], b: [3]))
    }

    @Test func rowsDecodeIntoStructsByColumnName() throws {
        let scratch = try ScratchDatabase()
        let db = try scratch.connect()
        struct Job: Decodable, Equatable {
            let id: Int
            let state: JobState
            let lastError: String?
            let result: [String: Double]?
            enum CodingKeys: String, CodingKey { case id, state, result; case lastError = "last_error" }
        }
        let rows = try db.execute("""
            SELECT * FROM (VALUES (1, 'queued', NULL, NULL::jsonb), (2, 'failed', 'disk full', '{"p": 0.5}'::jsonb))
                AS t(id, state, last_error, result) ORDER BY id
            """)
        #expect(try rows.decode(Job.self) == [Job(id: 1, state: .queued, lastError: nil, result: nil),
                                              Job(id: 2, state: .failed, lastError: "disk full", result: ["p": 0.5])])
        // What went wrong is named: a NULL where a value is required, a missing column, text of another type.
        #expect(throws: PGError(.unexpectedNull(column: "n"), "column 'n' is NULL")) {
            try db.execute("SELECT NULL::int AS n").row(0).require("n", as: Int.self)
        }
        struct Missing: Decodable { let absent: Int }
        #expect { try db.execute("SELECT 1 AS present").decode(Missing.self) } throws: { error in
            (error as? PGError)?.code == .decoding && "\(error)".contains("no column 'absent'")
        }
        struct Unknown: Decodable { let state: JobState }
        #expect { try db.execute("SELECT 'bogus' AS state").decode(Unknown.self) } throws: { error in
            error is DecodingError || (error as? PGError)?.code == .decoding
        }
        #expect { try db.execute("SELECT 'x' AS n").row(0).require("n", as: Int.self) } throws: { error in
            (error as? PGError)?.code == .decoding && "\(error)".contains("column 'n' is not an integer")
        }
    }

    @Test func errorsSayWhatFailed() throws {
        let scratch = try ScratchDatabase()
        let db = try scratch.connect()
        #expect { try db.execute("SELECT 1/0") } throws: { error in
            (error as? PGError)?.code == .server(sqlstate: "22012") && (error as? PGError)?.message.contains("division by zero") == true
        }
        #expect { _ = try PGConnector(conninfo: "host=127.0.0.1 port=1 connect_timeout=2").connect() } throws: { error in
            (error as? PGError)?.code == .connection && (error as? PGError)?.sqlstate == nil
        }
        // Identifiers cannot be parameters: spliced quoted, a hostile name stays one name.
        let hostile = "t\"; DROP TABLE isomine_x; --"
        try db.execute("CREATE TABLE \(identifier: hostile) (v int)")
        try db.execute("INSERT INTO \(identifier: hostile) VALUES (\(Int32(5)))")
        #expect(try db.execute("SELECT v FROM \(identifier: hostile)").first("v", as: Int.self) == 5)
    }
}
