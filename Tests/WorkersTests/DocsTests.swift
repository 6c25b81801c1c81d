// Every fenced code block of the guides in docs/ and of the Python client's README runs, in order,
// guide by guide (the rules are in docs/README.md, "How the examples are tested"): the docs cannot
// drift from the code.
import Foundation
import Jobs
import TestSupport
import Testing
@testable import Postgres

/// A fenced code block of a Markdown file: its language, its first line's number and its text.
struct DocBlock {
    var language: String
    var line: Int
    var code: String

    /// The fenced blocks of `markdown`, in order.
    static func all(in markdown: String) -> [DocBlock] {
        var blocks: [DocBlock] = [], open: DocBlock?
        for (i, line) in markdown.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard line.hasPrefix("```") else {
                open?.code += line + "\n"
                continue
            }
            if let block = open { blocks.append(block); open = nil } else {
                open = DocBlock(language: String(line.dropFirst(3)).trimmingCharacters(in: .whitespaces), line: i + 1, code: "")
            }
        }
        return blocks
    }
}

@Suite struct DocsTests {
    static let guides: [String] = {
        let docs = (try? FileManager.default.contentsOfDirectory(atPath: projectRoot + "/docs")) ?? []
        return docs.filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 } + ["clients/python/README.md"]
    }()

    @Test func theGuidesAndTheClientsREADMEExist() {
        #expect(DocsTests.guides.count >= 9, "\(DocsTests.guides)")
        let readme = (try? String(contentsOfFile: projectRoot + "/README.md", encoding: .utf8)) ?? ""
        #expect(readme.split(separator: "\n", omittingEmptySubsequences: false).count < 250, "the README fits on a few screens")
        // The README's examples other than the quick start are a guide's, word for word (so they run there).
        let guideText = DocsTests.guides.compactMap { try? String(contentsOfFile: projectRoot + "/" + $0, encoding: .utf8) }.joined(separator: "\n")
        for block in DocBlock.all(in: readme).dropFirst() {
            #expect(guideText.contains(block.code), "README.md:\(block.line): this example is in no guide, so no test runs it:\n\(block.code)")
        }
        for guide in DocsTests.guides where guide.hasPrefix("docs/") && guide != "docs/README.md" {
            #expect(readme.contains("(" + guide + ")") || readme.contains("(" + guide + "#"), "the README links to \(guide)")
        }
    }

    @Test(arguments: DocsTests.guides) func everyCodeBlockRuns(_ guide: String) throws {
        let text = try String(contentsOfFile: projectRoot + "/" + guide, encoding: .utf8)
        let blocks = DocBlock.all(in: text)
        let scratch = try ScratchDatabase(migrated: true)
        let db = try scratch.connectMigrated()
        let role = "isomine_docs_" + String(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(10))
        try db.execute("CREATE ROLE \(identifier: role) LOGIN")
        try db.execute("GRANT isomine_client TO \(identifier: role)")
        defer {
            _ = try? db.execute("DROP OWNED BY \(identifier: role)")
            _ = try? db.execute("DROP ROLE IF EXISTS \(identifier: role)")
        }
        let folder = TempFolder("docs")
        for link in ["clients", "deploy"] { try FileManager.default.createSymbolicLink(atPath: folder.path + "/" + link, withDestinationPath: projectRoot + "/" + link) }
        try FileManager.default.createDirectory(atPath: folder.path + "/data", withIntermediateDirectories: true)
        let fixtures = projectRoot + "/Tests/WorkersTests/Fixtures"
        let made = try runCommand("/bin/bash", ["-c", "cd '\(folder.path)' && /usr/bin/python3 '\(fixtures)/docs_checkpoint.py'"])
        try #require(made.status == 0, "\(made.err)")
        // pip from a virtual environment that sees the system's numpy and psycopg2, installing from the
        // repository alone (no index: the tests run offline).
        let venv = folder.path + "/.venv"
        let env = try runCommand("/usr/bin/python3", ["-m", "venv", "--system-site-packages", venv], within: 120)
        try #require(env.status == 0, "\(env.err)")
        var environment = IsomineBinary.environment(database: scratch.name, [:])
        environment["PATH"] = venv + "/bin:" + (IsomineBinary.path as NSString).deletingLastPathComponent + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment["ISOMINE_DATA_ROOT"] = folder.path + "/data"
        environment["ISOMINE_DOCS_DSN"] = "dbname=\(scratch.name)"
        environment["PYTHONPATH"] = projectRoot + "/clients/python"
        environment["PIP_NO_INDEX"] = "1"
        environment["PIP_NO_BUILD_ISOLATION"] = "0"
        environment["PIP_NO_DEPS"] = "1"
        environment["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
        let preamble = try String(contentsOfFile: fixtures + "/docs_preamble.py", encoding: .utf8)
        var ran = 0
        for (k, block) in blocks.enumerated() {
            let file = "\(folder.path)/.block-\(k)"
            let r: CommandOutput
            switch block.language {
            case "sh", "bash":
                try block.code.write(toFile: file, atomically: true, encoding: .utf8)
                r = try runCommand("/bin/bash", ["-c", "cd '\(folder.path)' && set -eo pipefail && source '\(file)'"], environment: environment, within: 300)
            case "sql":
                try block.code.write(toFile: file, atomically: true, encoding: .utf8)
                r = try runCommand("/bin/bash", ["-c", "cd '\(folder.path)' && /usr/bin/psql -X -q -v ON_ERROR_STOP=1 -d '\(scratch.name)' -U '\(role)' -f '\(file)'"],
                                   environment: environment)
            case "python":
                try (preamble + "\n" + block.code).write(toFile: file + ".py", atomically: true, encoding: .utf8)
                r = try runCommand("/bin/bash", ["-c", "cd '\(folder.path)' && '\(venv)/bin/python' '\(file).py'"], environment: environment, within: 300)
            case "json":
                let value = try? JSONValue.parse(Data(block.code.utf8))
                #expect(value != nil, "\(guide):\(block.line): the json block does not parse")
                guard value?["kind"] != nil else { ran += 1; continue }
                try block.code.write(toFile: file + ".json", atomically: true, encoding: .utf8)
                r = try IsomineBinary.run(["validate", "--no-data", file + ".json"], database: scratch.name)
            case "text":
                continue
            default:
                Issue.record("\(guide):\(block.line): a code block of language '\(block.language)' cannot be run (use sh, sql, python, json, or text for output)")
                continue
            }
            ran += 1
            #expect(r.status == 0, "\(guide):\(block.line): the \(block.language) block failed (status \(r.status)):\n\(block.code)\n--- stdout\n\(r.out.suffix(2000))\n--- stderr\n\(r.err.suffix(3000))")
        }
        #expect(ran == blocks.filter { $0.language != "text" }.count)
    }
}
