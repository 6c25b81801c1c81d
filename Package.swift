// swift-tools-version:6.0
// isomine: trains and audits triplet-loss embeddings for network collapse (see DESIGN.md).
import PackageDescription

let package = Package(
    name: "isomine",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "isomine", targets: ["isomine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // OpenBLAS (CBLAS + LAPACK) through pkg-config; apt package libopenblas-dev.
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        // zlib, to read the shipped digits.csv.gz and user .csv.gz files; apt package zlib1g-dev.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // prctl and setrlimit for the worker's job processes.
        .target(name: "CProcess"),
        // Element-wise kernels of the training step and the exact distances; -O3 and no errno on sqrt so clang
        // vectorises them, no FMA contraction so every build gives the same bits.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3", "-fno-math-errno", "-ffp-contract=off"])]),
        .target(name: "Linalg", dependencies: ["CBLAS", "CKernels"]),
        // libpq through pkg-config (Debian: /usr/include/postgresql); apt package libpq-dev.
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // libcurl through pkg-config (webhook deliveries); apt package libcurl4-openssl-dev.
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // The numbered SQL migrations of sql/ and its function definitions (sql/functions), embedded in the binary.
        .target(
            name: "Migrations", path: "sql", exclude: ["functions/README.md"],
            resources: [.embedInCode("001_schema.sql"), .embedInCode("002_enqueue.sql"), .embedInCode("003_max_attempts.sql"),
                        .embedInCode("004_sweeps.sql"), .embedInCode("005_webhooks.sql"),
                        .embedInCode("006_webhook_trigger_filter.sql"), .embedInCode("007_queues_and_workers.sql"),
                        .embedInCode("008_inputs_and_series.sql"), .embedInCode("009_job_progress.sql"),
                        .embedInCode("010_collapse_warning.sql"), .embedInCode("011_series_warning.sql"), .embedInCode("012_verdict_headline.sql"),
                        .embedInCode("013_slack_escape_and_enqueue.sql"),
                        .embedInCode("014_webhook_private_network.sql"),
                        .embedInCode("015_monitor.sql"),
                        .embedInCode("016_provisional_verdict.sql"),
                        .embedInCode("017_client_role.sql"),
                        .embedInCode("018_stored_numbers_as_doubles.sql"),
                        .embedInCode("019_monitor_series_baseline.sql"),
                        .embedInCode("020_series_margin.sql"),
                        .embedInCode("021_series_normalize.sql"),
                        // The current definition of every SQL function, applied whenever its file changes.
                        .embedInCode("functions/client_may_execute.sql"),
                        .embedInCode("functions/baseline_judged_untrained.sql"),
                        .embedInCode("functions/default_margin.sql"),
                        .embedInCode("functions/default_max_attempts.sql"),
                        .embedInCode("functions/enqueue.sql"),
                        .embedInCode("functions/event_summary.sql"),
                        .embedInCode("functions/json_double.sql"),
                        .embedInCode("functions/max_input_bytes.sql"),
                        .embedInCode("functions/npy_header.sql"),
                        .embedInCode("functions/on_child_finished.sql"),
                        .embedInCode("functions/on_job_event_subscribed.sql"),
                        .embedInCode("functions/on_sweep_cancelled.sql"),
                        .embedInCode("functions/series_json.sql"),
                        .embedInCode("functions/slack_escape.sql"),
                        .embedInCode("functions/start_monitor.sql"),
                        .embedInCode("functions/store_input.sql"),
                        .embedInCode("functions/submit_embeddings.sql"),
                        .embedInCode("functions/submit_signals.sql")]
        ),
        // The libpq connection owner, its errors and the migrator.
        .target(name: "Postgres", dependencies: ["CLibPQ", "Migrations"]),
        // The names the schema and the modules share: job kinds and states, event types, delivery states, formats, channels.
        .target(name: "Vocabulary"),
        // Every statement that touches jobs: the queue, sweeps, the result sink, pruning, the worker registry.
        .target(name: "Queue", dependencies: ["Postgres", "Vocabulary", "Jobs", "Trainer", "Triplets", "Datasets", "Estimators", "Linalg", "Specs"]),
        // Endpoints, secrets and signing, the libcurl client, the outbox and its dispatcher.
        .target(name: "Webhooks", dependencies: ["Postgres", "Vocabulary", "CCurl", "Jobs", .product(name: "Crypto", package: "swift-crypto"),
                                                 .product(name: "CoreMetrics", package: "swift-metrics")]),
        // The worker: supervisor, job processes, heartbeats, report publishing, status, metrics endpoint.
        // The operator's view: the /metrics, /healthz and /readyz endpoint and the queue's status.
        .target(name: "Operations", dependencies: ["Postgres", "Queue", "Webhooks", "Migrations", "Jobs", "Vocabulary",
                                                   .product(name: "CoreMetrics", package: "swift-metrics"),
                                                   .product(name: "Prometheus", package: "swift-prometheus")]),
        .target(name: "Workers", dependencies: ["CProcess", "Vocabulary", "Operations", "Postgres", "Queue", "Webhooks", "Jobs", "Reports", "Migrations",
                                                "CollapseRisk", "CollapseSignals", "Datasets", "Linalg", "Triplets",
                                                .product(name: "Crypto", package: "swift-crypto"),
                                                .product(name: "CoreMetrics", package: "swift-metrics"),
                                                .product(name: "Prometheus", package: "swift-prometheus")]),
        .target(
            name: "Datasets",
            dependencies: ["Linalg", "CZlib"],
            exclude: ["Resources/README.md"],
            resources: [.embedInCode("Resources/digits.csv.gz")]
        ),
        // The paper's isometry quantities: separation, the f* search, certified d_iso / d_haus brackets.
        .target(name: "Isometry", dependencies: ["Linalg"]),
        // The estimator block and the verdict built on them: thickness, collapse metrics, diagnosis.
        .target(name: "Estimators", dependencies: ["Isometry", "Linalg"]),
        // Precision@1, R-Precision and MAP@R as pytorch-metric-learning's AccuracyCalculator defines them.
        .target(name: "Retrieval", dependencies: ["Linalg"]),
        // The collapse warning's per-step signals and the rule that reads them.
        .target(name: "CollapseSignals", dependencies: ["Estimators", "Linalg"]),
        // The triplet loss (hinge and soft, Euclidean or squared distances) and its miners, with gradients.
        .target(name: "Triplets", dependencies: ["Linalg"]),
        .target(name: "Trainer", dependencies: ["Linalg", "Datasets", "Estimators", "Isometry", "Retrieval", "CollapseSignals", "Triplets"]),
        // The step-0 collapse risk: the paper's mechanism ratio on a run's own batches, with B/n, the gap and the learning rate.
        .target(name: "CollapseRisk", dependencies: ["Isometry", "Linalg", "Datasets", "Trainer", "CollapseSignals", "Triplets"]),
        // Job specs: JSON values, the reader with field-named errors, and the train, analyze, sweep and dataset specs.
        .target(name: "Specs", dependencies: ["Vocabulary", "Datasets", "Linalg", "Trainer", "Triplets"]),
        .target(
            name: "Jobs",
            dependencies: ["Specs", "Linalg", "Datasets", "Trainer", "Triplets", "Estimators", "Isometry", "CollapseRisk", .product(name: "Logging", package: "swift-log")]
        ),
        // The HTML templates of templates/, embedded in the binary.
        .target(
            name: "Templates", path: "templates",
            resources: [.embedInCode("style.mustache"), .embedInCode("job.mustache"), .embedInCode("sweep.mustache"),
                        .embedInCode("index.mustache"), .embedInCode("series.mustache"), .embedInCode("compare.mustache")]
        ),
        // Static HTML/SVG reports: charts drawn here, pages rendered from the templates with swift-mustache.
        .target(
            name: "Reports",
            dependencies: ["Jobs", "Trainer", "Triplets", "Estimators", "Isometry", "Datasets", "Linalg", "Templates", "Vocabulary",
                           .product(name: "Mustache", package: "swift-mustache")]
        ),
        // The command line's shared parts: error reporting and exit codes, --log-level, tables, the progress bar.
        .target(
            name: "Console",
            dependencies: ["Jobs", "Datasets", "Postgres", "Queue", "Webhooks",
                           .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Logging", package: "swift-log")]
        ),
        // `isomine bench …`: the benchmarks that print JSON.
        .target(
            name: "Benchmarks",
            dependencies: ["Console", "Jobs", "Trainer", "Triplets", "Datasets", "Linalg", "Estimators", "Isometry", "Postgres", "Queue", "Webhooks", "Workers", "Vocabulary",
                           .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Logging", package: "swift-log"),
                           .product(name: "CoreMetrics", package: "swift-metrics"), .product(name: "Prometheus", package: "swift-prometheus"),
                           .product(name: "Crypto", package: "swift-crypto")]
        ),
        .executableTarget(
            name: "isomine",
            dependencies: [
                "Jobs", "Trainer", "Datasets", "Linalg", "Estimators", "Isometry", "Postgres", "Queue", "Webhooks", "Workers", "Operations", "Reports", "CProcess", "Vocabulary", "Console", "Benchmarks", "CollapseRisk", "Specs",
                .product(name: "CoreMetrics", package: "swift-metrics"), .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // What every test target shares: the isomine launcher, child processes spawned and reaped without
        // Foundation's Process (every wait bounded), temporary folders and NPY bytes, scratch databases
        // copied from a migrated template, a loopback webhook receiver, a private PostgreSQL cluster.
        .target(name: "TestSupport", dependencies: ["CProcess", "Postgres", "Migrations", "Specs", "Webhooks"], path: "Tests/TestSupport",
                exclude: ["Fixtures/webhook_receiver.py"]),
        .testTarget(name: "LinalgTests", dependencies: ["Linalg"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Linalg", "TestSupport"]),
        .testTarget(
            name: "TrainerTests",
            dependencies: ["Trainer", "Triplets", "Datasets", "Linalg"],
            resources: [.copy("Fixtures/pml_vectors.json")]
        ),
        .testTarget(name: "EstimatorsTests", dependencies: ["Estimators", "Isometry", "Linalg"]),
        .testTarget(name: "CollapseRiskTests", dependencies: ["CollapseRisk", "Isometry", "Linalg", "Trainer", "Triplets", "Datasets"]),
        // The daemon's suites, one per module, against the PostgreSQL deploy/test.sh starts.
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "Migrations", "Vocabulary", "TestSupport"]),
        .testTarget(name: "QueueTests", dependencies: ["Postgres", "Queue", "Workers", "Jobs", "Vocabulary", "TestSupport"]),
        .testTarget(name: "WebhooksTests", dependencies: ["Postgres", "Queue", "Webhooks", "Workers", "Jobs", "Reports", "Specs", "TestSupport", "isomine"]),
        .testTarget(
            name: "WorkersTests",
            dependencies: ["Postgres", "Queue", "Webhooks", "Workers", "Jobs", "Reports", "Datasets", "Linalg", "Specs", "TestSupport", "isomine", "Trainer", "Triplets", "CollapseSignals",
                           .product(name: "Crypto", package: "swift-crypto")],
            // The Python scripts the tests run (read from the source tree, not built).
            exclude: ["Fixtures"]
        ),
        .testTarget(name: "OperationsTests", dependencies: ["Postgres", "Queue", "Webhooks", "Workers", "Operations", "Jobs", "Datasets", "Linalg", "TestSupport", "isomine"]),
        .testTarget(name: "JobsTests", dependencies: ["Jobs", "Trainer", "Triplets", "Datasets", "Linalg", "isomine", "Console", "TestSupport"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "Jobs", "Linalg", "Datasets", "Vocabulary", "TestSupport"]),
    ]
)
