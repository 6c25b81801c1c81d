// The isomine command line: subcommands as small structs (swift-argument-parser).
import Benchmarks
import Console
import ArgumentParser
import Foundation
import Linalg

@main
struct Isomine: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "isomine",
        abstract: "Train and audit triplet-loss embeddings for network collapse.",
        discussion: """
        isomine trains MLP embeddings with triplet loss and seven miners on CPU, evaluates retrieval quality as pytorch-metric-learning does, measures the paper's quantities (L_hard, certified d_iso and d_haus brackets, thickness) and watches for the collapse that hard negative mining can cause (Xu et al., arXiv 2210.11173). Jobs (train, analyze, sweep) run locally (run) or from PostgreSQL (enqueue, worker); each leaves a static HTML/SVG report, and webhooks announce job events and collapse.

        Environment:
          ISOMINE_DATA_ROOT     job input files (default: ./data)
          DATABASE_URL          PostgreSQL (else libpq's PGHOST, PGUSER, ...)
          ISOMINE_REPORTS_ROOT  where the worker and `report` write reports (default: ./reports)
          ISOMINE_PUBLIC_URL    base of report links in webhooks (default: file:// and the reports root)
          ISOMINE_MAX_INPUT_BYTES, ISOMINE_MAX_DECOMPRESSED_BYTES, ISOMINE_MAX_DIMENSION, ISOMINE_MAX_ROWS
                                input limits (defaults 8 GiB, 1 GiB, 8192, 5,000,000)
          A job computes with its spec's threads (default: its share of the machine).
          OPENBLAS_CORETYPE     OpenBLAS's kernels; when unset and OpenBLAS chose its generic ones on a
                                CPU with AVX2 or AVX-512, isomine restarts itself with the CPU's family

        Exit status: 0 success, 1 a failure (I/O, database, a diverging run), 2 invalid input (spec, data, options).
        """,
        version: IsomineVersion.string,
        subcommands: [Run.self, Validate.self, Risk.self, Datasets.self, Bench.self, Migrate.self, Enqueue.self, Submit.self, SeriesCommand.self, Compare.self, WorkerCommand.self, Jobs.self, MetricsCommand.self, ReportCommand.self, Webhooks.self, StatusCommand.self, RunJobCommand.self]
    )

    /// Exit codes: 0 success, 1 a run that failed, 2 invalid input — bad options or arguments included
    /// (argument-parser's own default for those is 64).
    static func main() {
        // Before anything computes: a CPU model OpenBLAS does not know gets its generic kernels (see BLASKernels).
        BLASKernels.restartWithBetterKernels()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(CLIError.invalidSpec)
            }
            exit(withError: error)
        }
    }
}

enum IsomineVersion {
    static let string = "0.1.0"
}
