// `isomine migrate`: create or update isomine's schema in PostgreSQL.
import ArgumentParser
import Postgres
import Queue
import Webhooks
import Workers

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply isomine's SQL migrations to the database (DATABASE_URL or libpq's PG* variables).",
        discussion: "Safe to run from several processes at once (an advisory lock serialises them); refuses to continue if an applied migration file was edited.")

    func run() throws {
        try CLIError.reporting {
            let db = try Database.connect()
            let applied = try Migrator.migrate(db)
            print(applied.isEmpty ? "schema up to date" : "applied " + applied.map(\.name).joined(separator: ", "))
        }
    }
}
