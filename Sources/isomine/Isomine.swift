// The isomine command line: subcommands as small structs (swift-argument-parser).
import ArgumentParser

@main
struct Isomine: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "isomine",
        abstract: "Train and audit triplet-loss embeddings for network collapse.",
        discussion: """
        isomine trains MLP embeddings with triplet loss and six miners on CPU, evaluates retrieval
        quality as pytorch-metric-learning does, and watches for the collapse that hard negative
        mining can cause (Xu et al., arXiv 2210.11173).

        Environment:
          ISOMINE_DATA_ROOT   directory job files are read from (default: ./data)
          OPENBLAS_NUM_THREADS is overridden per job by the spec's blas_threads
          DATABASE_URL        PostgreSQL connection (else libpq's PGHOST, PGUSER, PGDATABASE, ...)
        """,
        version: IsomineVersion.string,
        subcommands: [Run.self, Validate.self, Datasets.self, Bench.self, Migrate.self, Enqueue.self, WorkerCommand.self, Jobs.self, MetricsCommand.self]
    )
}

enum IsomineVersion {
    static let string = "0.1.0"
}
