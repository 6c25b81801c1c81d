// `isomine compare`: one page overlaying two to twelve runs.
import ArgumentParser
import Console
import Foundation
import Workers

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Overlay 2 to 12 runs (series, train or analyze jobs, a sweep's runs) on one page under ISOMINE_REPORTS_ROOT.",
        discussion: """
        Each RUN is a series name, a job id, or series:NAME / job:ID when a series' name is a number. A sweep's id stands for all its runs. The page draws P@1 and the spread against each run's margin α by step on shared axes, the verdict of every evaluation as a band per run, each run's warning and first collapse, and a table of the runs with the settings in which they differ. It is written to ISOMINE_REPORTS_ROOT/compare/NAME/index.html (NAME from --name, or made from the runs) and listed on the index page; it is a snapshot: run the command again to update it. Prints the page's path (and its URL with ISOMINE_PUBLIC_URL).

        Example: isomine compare resnet-7 resnet-8 --name lr-sweep
        """)

    @Argument(help: "The runs: series names or job ids (2 to 12 runs; a sweep counts as all its runs).")
    var runs: [String] = []

    @Option(help: "The page's name (1 to 100 of A-Z a-z 0-9 _ . -, starting with a letter or digit): compare/NAME/index.html. A page of that name is replaced.")
    var name: String?

    func run() throws {
        try CLIError.reporting {
            let targets = try runs.map(CompareTarget.parse)
            let db = try Database.connect()
            let publisher = try ReportPublisher.fromEnvironment()
            let command = (["isomine", "compare"] + runs + (name.map { ["--name", $0] } ?? [])).joined(separator: " ")
            let page = try publisher.publishComparison(db, targets: targets, name: name, command: command)
            print("\(publisher.root.path)/\(page.relativePath)  (\(page.runs) runs)")
            if ProcessInfo.processInfo.environment["ISOMINE_PUBLIC_URL"].map({ !$0.isEmpty }) == true {
                print(publisher.publicBase + "/" + page.relativePath)
            }
        }
    }
}
