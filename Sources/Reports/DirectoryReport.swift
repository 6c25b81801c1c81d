// Reports of `isomine run`: DIR/report/index.html from DIR/result.json and DIR/artifacts/, and for a
// sweep also each run's DIR/runs/NNN/report/index.html.
import Vocabulary
import Foundation
import Jobs

/// Renders the report of a local run directory.
public enum DirectoryReport {
    /// Writes DIR/report/index.html (and the runs' reports of a sweep); returns its path.
    @discardableResult
    public static func write(directory: String, renderer: ReportRenderer) throws -> String {
        let doc = try document(directory)
        let root = ReportsRoot(path: directory)
        if doc.kind == .sweep {
            var links: [Int: String] = [:]
            if case .array(let runs)? = doc.result?["runs"] {
                for run in runs {
                    guard case .number(let i)? = run["index"] else { continue }
                    let name = String(format: "runs/%03d", Int(i))
                    guard FileManager.default.fileExists(atPath: directory + "/" + name + "/result.json") else { continue }
                    try write(directory: directory + "/" + name, renderer: renderer)
                    links[Int(i)] = "../\(name)/report/index.html"
                }
            }
            return try root.write(try renderer.sweepPage(doc) { links[$0.index] }, to: "report/index.html")
        }
        return try root.write(try renderer.jobPage(doc), to: "report/index.html")
    }

    /// The job document of a run directory: its result and its artifacts.
    static func document(_ directory: String) throws -> JobDocument {
        guard let data = FileManager.default.contents(atPath: directory + "/result.json") else {
            throw ReportError("no result.json in \(directory)")
        }
        let result = try JSONValue.parse(data)
        guard case .string(let name)? = result["kind"], let kind = JobKind(rawValue: name) else {
            throw ReportError("\(directory)/result.json has no kind (expected train, analyze or sweep)")
        }
        var artifacts: [String: [UInt8]] = [:]
        let dir = directory + "/artifacts"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where name.hasSuffix(".npy") || name.hasSuffix(".json") {
            if let bytes = FileManager.default.contents(atPath: dir + "/" + name) { artifacts[name] = [UInt8](bytes) }
        }
        return JobDocument(kind: kind, state: .succeeded, spec: result["spec"] ?? .null, result: result, artifacts: artifacts)
    }
}
