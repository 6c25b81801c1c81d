// `isomine datasets`: the builtin datasets and their sizes.
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
                print("name     rows   dim  classes  about")
                for r in rows {
                    print(r.name.padding(toLength: 8, withPad: " ", startingAt: 0)
                          + String(format: " %5d %5d %8d  ", r.rows, r.dim, r.classes) + r.about)
                }
                print("Data root for npy/csv datasets: \(DataRoot.fromEnvironment().path) (\(DataRoot.environmentVariable))")
            }
        }
    }
}
