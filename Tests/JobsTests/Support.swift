// Test helpers: temporary directories and running the built isomine binary.
import Foundation
import TestSupport

/// A temporary directory removed when released.
final class TempDir {
    let path: String
    init() {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("isomine-jobs-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    func write(_ name: String, _ text: String) -> String {
        let full = path + "/" + name
        _ = FileManager.default.createFile(atPath: full, contents: Data(text.utf8))
        return full
    }
}

/// The result of running the isomine executable.
struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs the `isomine` binary built next to the test bundle.
func isomine(_ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
    let r = try IsomineBinary.run(arguments, environment: environment)
    return CommandResult(status: r.status, stdout: r.out, stderr: r.err)
}

/// The project root (two levels above this file's directory), for reading deploy/examples.
let projectRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
