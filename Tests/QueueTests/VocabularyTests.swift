// The shared names (Vocabulary) held equal to the migrated schema: CHECK lists, the webhook trigger's
// event list and the event-type literals of isomine's SQL functions.
import Foundation
import TestSupport
import Testing
import Vocabulary
@testable import Postgres

/// What the migrated schema says about the shared names.
struct SchemaVocabulary {
    /// `CHECK (column IN (…))` lists by "table.column".
    var checks: [String: Set<String>] = [:]
    /// The event types the webhook trigger fires for (its WHEN list).
    var subscribable: Set<String> = []
    /// Event-type literals in the bodies of isomine's SQL functions.
    var eventLiterals: Set<String> = []

    static func read(_ db: PGConnection) throws -> SchemaVocabulary {
        var v = SchemaVocabulary()
        let checks = try db.execute("""
            SELECT c.relname AS rel, pg_get_constraintdef(k.oid) AS def FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
             WHERE k.contype = 'c' AND k.connamespace = 'isomine'::regnamespace
            """)
        for r in 0..<checks.count {
            let def = try checks.string(r, "def") ?? ""
            // PostgreSQL prints `col IN ('a', 'b')` as `(col = ANY (ARRAY['a'::text, 'b'::text]))`.
            guard let m = def.firstMatch(of: /\((\w+) = ANY \(ARRAY\[(.*)\]\)\)/) else { continue }
            v.checks["\(try checks.string(r, "rel") ?? "").\(m.1)"] = literals(String(m.2))
        }
        let trigger = try db.execute("""
            SELECT pg_get_triggerdef(t.oid) AS def FROM pg_trigger t WHERE t.tgname = 'job_events_webhooks'
            """).string(0, "def") ?? ""
        if let when = trigger.firstMatch(of: /WHEN \((.*)\) EXECUTE/) { v.subscribable = literals(String(when.1)) }
        let functions = try db.execute("SELECT prosrc FROM pg_proc WHERE pronamespace = 'isomine'::regnamespace")
        for r in 0..<functions.count {
            for m in (try functions.string(r, "prosrc") ?? "").matches(of: /'((?:job|sweep|collapse|report|webhook)\.[a-z_]+)'/) {
                v.eventLiterals.insert(String(m.1))
            }
        }
        return v
    }

    /// The quoted literals of `text`.
    static func literals(_ text: String) -> Set<String> { Set(text.matches(of: /'([^']*)'/).map { String($0.1) }) }
}

/// Where the schema and the Swift names disagree (empty when they agree).
func vocabularyMismatches(_ schema: SchemaVocabulary, checks: [String: Set<String>], events: Set<String>, subscribable: Set<String>) -> [String] {
    var out = [String]()
    for key in Set(schema.checks.keys).union(checks.keys).sorted() {
        let sql = schema.checks[key], swift = checks[key]
        guard let sql, let swift else {
            out.append("\(key): a CHECK list on \(sql == nil ? "the Swift side only" : "the SQL side only (no Swift enum holds it)")")
            continue
        }
        if sql != swift { out.append("\(key): SQL only \(sql.subtracting(swift).sorted()), Swift only \(swift.subtracting(sql).sorted())") }
    }
    if schema.subscribable != subscribable {
        out.append("webhook trigger events: SQL only \(schema.subscribable.subtracting(subscribable).sorted()), Swift only \(subscribable.subtracting(schema.subscribable).sorted())")
    }
    let unknown = schema.eventLiterals.subtracting(events).subtracting([webhookTestEventType])
    if !unknown.isEmpty { out.append("event types in SQL functions that JobEventType lacks: \(unknown.sorted())") }
    return out
}

@Suite struct VocabularyTests {
    static let swiftChecks: [String: Set<String>] = [
        "jobs.kind": Set(JobKind.allCases.map(\.rawValue)),
        "jobs.state": Set(JobState.allCases.map(\.rawValue)),
        "webhook_deliveries.state": Set(DeliveryState.allCases.map(\.rawValue)),
        "webhook_endpoints.format": Set(WebhookFormat.allCases.map(\.rawValue)),
        "inputs.format": Set(InputFormat.allCases.map(\.rawValue)),
    ]
    static let events = Set(JobEventType.allCases.map(\.rawValue))
    static let subscribable = Set(JobEventType.subscribable.map(\.rawValue))

    @Test func theSchemaAndTheEnumsNameTheSameThings() throws {
        let scratch = try ScratchDatabase()
        let schema = try SchemaVocabulary.read(try scratch.connectMigrated())
        #expect(schema.checks.count == Self.swiftChecks.count && !schema.subscribable.isEmpty && schema.eventLiterals.count > 5, "\(schema)")
        #expect(vocabularyMismatches(schema, checks: Self.swiftChecks, events: Self.events, subscribable: Self.subscribable) == [])

        // A state added on one side only, an event the trigger fires for that Swift does not offer, an
        // event literal in SQL that no enum case names: each is caught.
        var sql = schema
        sql.checks["jobs.state"]?.insert("paused")
        sql.subscribable.insert("job.started")
        sql.eventLiterals.insert("job.paused")
        var swift = Self.swiftChecks
        swift["webhook_endpoints.format"]?.remove("slack")
        swift["jobs.priority_class"] = ["low", "high"]
        let caught = vocabularyMismatches(sql, checks: swift, events: Self.events, subscribable: Self.subscribable)
        #expect(caught == [
            "jobs.priority_class: a CHECK list on the Swift side only",
            "jobs.state: SQL only [\"paused\"], Swift only []",
            "webhook_endpoints.format: SQL only [\"slack\"], Swift only []",
            "webhook trigger events: SQL only [\"job.started\"], Swift only []",
            "event types in SQL functions that JobEventType lacks: [\"job.paused\"]",
        ], "\(caught)")
    }
}
