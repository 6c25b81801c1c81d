// The numbered migrations of sql/, embedded in the binary so `isomine migrate` needs no files at run time.

/// One migration file.
public struct Migration: Sendable, Equatable {
    /// The number the file name starts with.
    public let version: Int
    /// The file name.
    public let name: String
    public let sql: String
}

/// The migrations, in order. Add a file to sql/, to this list and to Package.swift's resources
/// (SwiftPM names an embedded "001_x.sql" `_01_x_sql`: the leading digit becomes the underscore).
public enum Migrations {
    public static let all: [Migration] = [
        Migration(version: 1, name: "001_schema.sql", sql: String(decoding: PackageResources._01_schema_sql, as: UTF8.self)),
        Migration(version: 2, name: "002_enqueue.sql", sql: String(decoding: PackageResources._02_enqueue_sql, as: UTF8.self)),
        Migration(version: 3, name: "003_max_attempts.sql", sql: String(decoding: PackageResources._03_max_attempts_sql, as: UTF8.self)),
        Migration(version: 4, name: "004_sweeps.sql", sql: String(decoding: PackageResources._04_sweeps_sql, as: UTF8.self)),
        Migration(version: 5, name: "005_webhooks.sql", sql: String(decoding: PackageResources._05_webhooks_sql, as: UTF8.self)),
        Migration(version: 6, name: "006_webhook_trigger_filter.sql", sql: String(decoding: PackageResources._06_webhook_trigger_filter_sql, as: UTF8.self)),
        Migration(version: 7, name: "007_queues_and_workers.sql", sql: String(decoding: PackageResources._07_queues_and_workers_sql, as: UTF8.self)),
        Migration(version: 8, name: "008_inputs_and_series.sql", sql: String(decoding: PackageResources._08_inputs_and_series_sql, as: UTF8.self)),
        Migration(version: 9, name: "009_job_progress.sql", sql: String(decoding: PackageResources._09_job_progress_sql, as: UTF8.self)),
        Migration(version: 10, name: "010_collapse_warning.sql", sql: String(decoding: PackageResources._10_collapse_warning_sql, as: UTF8.self)),
        Migration(version: 11, name: "011_series_warning.sql", sql: String(decoding: PackageResources._11_series_warning_sql, as: UTF8.self)),
        Migration(version: 12, name: "012_verdict_headline.sql", sql: String(decoding: PackageResources._12_verdict_headline_sql, as: UTF8.self)),
        Migration(version: 13, name: "013_slack_escape_and_enqueue.sql", sql: String(decoding: PackageResources._13_slack_escape_and_enqueue_sql, as: UTF8.self)),
        Migration(version: 14, name: "014_webhook_private_network.sql", sql: String(decoding: PackageResources._14_webhook_private_network_sql, as: UTF8.self)),
        Migration(version: 15, name: "015_monitor.sql", sql: String(decoding: PackageResources._15_monitor_sql, as: UTF8.self)),
        Migration(version: 16, name: "016_provisional_verdict.sql", sql: String(decoding: PackageResources._16_provisional_verdict_sql, as: UTF8.self)),
        Migration(version: 17, name: "017_client_role.sql", sql: String(decoding: PackageResources._17_client_role_sql, as: UTF8.self)),
        Migration(version: 18, name: "018_stored_numbers_as_doubles.sql", sql: String(decoding: PackageResources._18_stored_numbers_as_doubles_sql, as: UTF8.self)),
        Migration(version: 19, name: "019_monitor_series_baseline.sql", sql: String(decoding: PackageResources._19_monitor_series_baseline_sql, as: UTF8.self)),
        Migration(version: 20, name: "020_series_margin.sql", sql: String(decoding: PackageResources._20_series_margin_sql, as: UTF8.self)),
        Migration(version: 21, name: "021_series_normalize.sql", sql: String(decoding: PackageResources._21_series_normalize_sql, as: UTF8.self)),
    ]
}

/// The current definition of one SQL function (sql/functions/NAME.sql): a repeatable definition,
/// applied by the migrator whenever its text changes, after the numbered migrations.
public struct SQLFunction: Sendable, Equatable {
    /// The function's name in the isomine schema (and its file's name without .sql).
    public let name: String
    public let sql: String

    public init(name: String, sql: String) {
        self.name = name
        self.sql = sql
    }
}

/// Every function file, in the order they are applied in: client_may_execute, which the client
/// functions' files call, first, then the others in name order. Add a file to sql/functions, to this
/// list and to Package.swift's resources.
public enum SQLFunctions {
    public static let all: [SQLFunction] = [
        SQLFunction(name: "client_may_execute", sql: String(decoding: PackageResources.client_may_execute_sql, as: UTF8.self)),
        SQLFunction(name: "baseline_judged_untrained", sql: String(decoding: PackageResources.baseline_judged_untrained_sql, as: UTF8.self)),
        SQLFunction(name: "default_margin", sql: String(decoding: PackageResources.default_margin_sql, as: UTF8.self)),
        SQLFunction(name: "default_max_attempts", sql: String(decoding: PackageResources.default_max_attempts_sql, as: UTF8.self)),
        SQLFunction(name: "enqueue", sql: String(decoding: PackageResources.enqueue_sql, as: UTF8.self)),
        SQLFunction(name: "event_summary", sql: String(decoding: PackageResources.event_summary_sql, as: UTF8.self)),
        SQLFunction(name: "json_double", sql: String(decoding: PackageResources.json_double_sql, as: UTF8.self)),
        SQLFunction(name: "max_input_bytes", sql: String(decoding: PackageResources.max_input_bytes_sql, as: UTF8.self)),
        SQLFunction(name: "npy_header", sql: String(decoding: PackageResources.npy_header_sql, as: UTF8.self)),
        SQLFunction(name: "on_child_finished", sql: String(decoding: PackageResources.on_child_finished_sql, as: UTF8.self)),
        SQLFunction(name: "on_job_event_subscribed", sql: String(decoding: PackageResources.on_job_event_subscribed_sql, as: UTF8.self)),
        SQLFunction(name: "on_sweep_cancelled", sql: String(decoding: PackageResources.on_sweep_cancelled_sql, as: UTF8.self)),
        SQLFunction(name: "series_json", sql: String(decoding: PackageResources.series_json_sql, as: UTF8.self)),
        SQLFunction(name: "slack_escape", sql: String(decoding: PackageResources.slack_escape_sql, as: UTF8.self)),
        SQLFunction(name: "start_monitor", sql: String(decoding: PackageResources.start_monitor_sql, as: UTF8.self)),
        SQLFunction(name: "store_input", sql: String(decoding: PackageResources.store_input_sql, as: UTF8.self)),
        SQLFunction(name: "submit_embeddings", sql: String(decoding: PackageResources.submit_embeddings_sql, as: UTF8.self)),
        SQLFunction(name: "submit_signals", sql: String(decoding: PackageResources.submit_signals_sql, as: UTF8.self)),
    ]
}
