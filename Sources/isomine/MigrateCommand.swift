// `isomine migrate`: create or update isomine's schema in PostgreSQL.
import Console
import ArgumentParser
import Postgres
import Queue
import Webhooks
import Workers

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply isomine's SQL migrations to the database (DATABASE_URL or libpq's PG* variables).",
        discussion: "Applies the numbered migrations not applied yet, then every SQL function whose definition changed. Safe to run from several processes at once (an advisory lock serialises them); refuses to continue if an applied migration file was edited.")

    func run() throws {
        try CLIError.reporting {
            let db = try Database.connect()
            let run = try Migrator.migrate(db)
            if run.isEmpty { print("schema up to date") }
            if !run.migrations.isEmpty { print("applied " + run.migrations.map(\.name).joined(separator: ", ")) }
            if !run.functions.isEmpty { print("defined " + run.functions.map { "isomine.\($0.name)" }.joined(separator: ", ")) }
        }
    }
}
