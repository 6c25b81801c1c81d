// The Python client's errors, and the client role. Every failure of a submission or a read reaches the
// caller as the client's own exception with isomine's message (never the driver's class name, the
// PL/pgSQL context or the DSN's password), nothing stored lost. An ordinary role (not a superuser, not the
// schema's owner) audits its run through the isomine_client role: the Python client and psql's client-side \lo_import (the README's SQL path) submit steps, a
// worker runs them, the role reads them back; it can change nothing directly, and a role without the
// grant is refused with a message saying what to grant.
import Foundation
import TestSupport
import Testing
@testable import Postgres
import Specs

@Suite struct PythonClientTests {
    @Test func everyRefusalIsTheClientsOwnExceptionWithTheServersMessage() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let run = try runPython(projectRoot + "/Tests/WorkersTests/Fixtures/client_errors.py", ["dbname=\(scratch.name)"])
        #expect(run.status == 0 && run.out.contains("ok"), "\(run.out) \(run.err)")
        // The refused second submission of step 0 left the first as it was.
        #expect(try db.execute("SELECT count(*) AS n FROM isomine.jobs WHERE series = 'errs' AND series_step = 0 AND state = 'queued'").int(0, "n") == 1)
        #expect(try db.execute("SELECT count(*) AS n FROM isomine.jobs").int(0, "n") == 1)
    }

    /// A pytorch-metric-learning TripletMarginLoss gives the margin in Euclidean units and whether its distance
    /// normalises (isomine.from_pml); a loss or a distance isomine cannot read on Euclidean distances is named.
    @Test func theMarginAndNormalisationAreReadFromAPMLLoss() throws {
        let run = try runPython(projectRoot + "/Tests/WorkersTests/Fixtures/pml_settings.py", [])
        #expect(run.status == 0, "\(run.err)")
        let got = try JSONValue.parse(Data(run.out.utf8))
        func settings(_ margin: Double, _ normalize: Bool) -> JSONValue { .object(["margin": .number(margin), "normalize": .bool(normalize)]) }
        #expect(got["default"] == settings(0.05, true))
        #expect(got["lp"] == settings(0.2, true))
        #expect(got["raw"] == settings(0.2, false))
        #expect(got["squared"] == settings(0.2.squareRoot(), true), "the hinge on squared distances is m at collapse: α = √m")
        #expect(got["cosine"] == settings(0.4.squareRoot(), true), "s_an − s_ap + m on unit vectors: α = √(2m)")
        #expect(got["dot"] == got["cosine"])
        for (key, text) in [("dot_raw", "DotProductSimilarity(normalize_embeddings=False) is a dot product of raw embeddings"),
                            ("l1", "the loss measures L1 distances"), ("cube", "to the power 3"), ("snr", "measures with SNRDistance"),
                            ("zero_margin", "the loss's margin is 0.0"), ("contrastive", "from_pml reads a TripletMarginLoss (its hinge margin and its distance), got ContrastiveLoss")] {
            guard case .string(let message)? = got[key] else { Issue.record("\(key) was read: \(run.out)"); continue }
            #expect(message.hasPrefix("InvalidInput: ") && message.contains(text), "\(key): \(message)")
        }
        // Given the miner too, the monitor's miner setting: the step-0 risk warns only for hardest-negative miners.
        for (key, miner) in [("batch_hard", "batch-hard"), ("easy_hard", "easy-positive"), ("hard_hard", "batch-hard"), ("semi_easy", "other"),
                             ("semihard", "semi-hard"), ("all", "batch-all"), ("hard", "other"), ("none", "batch-all"), ("multi_similarity", "other")] {
            #expect(got["miner_" + key] == .object(["margin": .number(0.2), "normalize": .bool(true), "miner": .string(miner)]), "\(key): \(String(describing: got["miner_" + key]))")
        }
    }

    @Test func anOrdinaryRoleSubmitsAndReadsThroughTheClientRole() throws {
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let suffix = String(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(10))
        let user = "isomine_user_" + suffix, stranger = "isomine_stranger_" + suffix
        try db.execute("CREATE ROLE \(identifier: user) LOGIN")
        try db.execute("GRANT isomine_client TO \(identifier: user)")
        try db.execute("CREATE ROLE \(identifier: stranger) LOGIN")
        defer {
            for role in [user, stranger] {
                _ = try? db.execute("DROP OWNED BY \(identifier: role)")
                _ = try? db.execute("DROP ROLE IF EXISTS \(identifier: role)")
            }
        }
        #expect(try db.execute("SELECT rolsuper::int AS n FROM pg_roles WHERE rolname = \(user)").int(0, "n") == 0)

        let folder = TempFolder("client-role")
        let python = try runPython(projectRoot + "/Tests/WorkersTests/Fixtures/client_role.py",
                                   ["dbname=\(scratch.name) user=\(user)", "dbname=\(scratch.name) user=\(stranger)", folder.path])
        #expect(python.status == 0 && python.out.contains("ok"), "\(python.out) \(python.err)")

        // The SQL path, as that role: psql reads the files on the client side (no server file access).
        let script = """
            \\lo_import \(folder.path)/e.npy
            \\set embeddings :LASTOID
            \\lo_import \(folder.path)/y.npy
            \\set labels :LASTOID
            SELECT isomine.submit_embeddings('role-run', 1, lo_get(:embeddings), lo_get(:labels), '{"probe_size": 40}');
            SELECT lo_unlink(:embeddings), lo_unlink(:labels);
            """
        let submitted = try psql(script, database: scratch.name, user: user)
        #expect(submitted.status == 0, "\(submitted.out) \(submitted.err)")

        // Nothing can be changed or read around the functions.
        for statement in ["UPDATE isomine.jobs SET priority = 9", "DELETE FROM isomine.series", "SELECT * FROM isomine.webhook_endpoints",
                          "SELECT isomine.client_may_execute('isomine.series_json(text)')"] {
            let refused = try psql(statement, database: scratch.name, user: user)
            #expect(refused.status != 0 && refused.err.contains("permission denied"), "\(statement): \(refused.out) \(refused.err)")
        }

        let worker = try IsomineBinary.run(["worker", "--exit-when-idle"], database: scratch.name)
        #expect(worker.status == 0, "\(worker.err)")
        let read = try psql("SELECT string_agg(s->>'state', ',' ORDER BY (s->>'step')::int) FROM jsonb_array_elements(isomine.series_json('role-run')->'steps') s",
                            database: scratch.name, user: user)
        #expect(read.out.trimmingCharacters(in: .whitespacesAndNewlines) == "succeeded,succeeded", "\(read.out) \(read.err)")
    }

    /// Runs `script` with psql as `user` (tuples only, stopping at the first error).
    func psql(_ script: String, database: String, user: String) throws -> CommandOutput {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("isomine-psql-\(UUID().uuidString).sql").path
        try script.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        return try runCommand("/usr/bin/psql", ["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", database, "-U", user, "-f", file])
    }
}
