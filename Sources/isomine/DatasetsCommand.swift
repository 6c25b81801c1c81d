// `isomine datasets`: the builtin datasets and their sizes.
import Console
import ArgumentParser
import Datasets
import Foundation
import Jobs

struct Datasets: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the builtin datasets with their sizes.")

    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        try CLIError.reporting {
            let rows = try BuiltinDatasets.catalog()
            if json {
                let value = JSONValue.array(rows.map {
                    .object(["name": .string($0.name), "rows": .number(Double($0.rows)), "dim": .number(Double($0.dim)),
                             "classes": .number(Double($0.classes)), "about": .string($0.about)])
                })
                print(String(decoding: try value.serialized(), as: UTF8.self))
            } else {
                print(TextTable.render([["name", "rows", "dim", "classes", "about"]]
                                       + rows.map { [$0.name, String($0.rows), String($0.dim), String($0.classes), $0.about] }), terminator: "")
                print("Data root for npy/csv datasets: \(DataRoot.fromEnvironment().path) (\(DataRoot.environmentVariable))")
            }
        }
    }
}
