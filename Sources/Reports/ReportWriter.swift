// Writing report files: only under the reports root, atomically (a temporary file, then rename).
import Foundation

/// The directory reports go to (`ISOMINE_REPORTS_ROOT`, default `./reports`) and safe writes inside it.
public struct ReportsRoot: Sendable {
    public let path: String

    public init(path: String) { self.path = (path as NSString).standardizingPath }

    /// `ISOMINE_REPORTS_ROOT`, else ./reports under the working directory.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> ReportsRoot {
        let raw = env["ISOMINE_REPORTS_ROOT"].flatMap { $0.isEmpty ? nil : $0 } ?? "reports"
        let absolute = raw.hasPrefix("/") ? raw : FileManager.default.currentDirectoryPath + "/" + raw
        return ReportsRoot(path: absolute)
    }

    /// Writes `text` to `relative` (no absolute paths, no `..`, no symlinked directories leading out),
    /// atomically; returns the full path and the SHA-256 of the bytes written.
    @discardableResult
    public func write(_ text: String, to relative: String) throws -> String {
        let parts = relative.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard !relative.hasPrefix("/"), !parts.isEmpty, !parts.contains(".."), !parts.contains(".") else {
            throw ReportError("report path '\(relative)' must be relative to the reports root, without '..'")
        }
        let full = path + "/" + parts.joined(separator: "/")
        let dir = (full as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // A symlinked directory on the way could lead out of the root: compare resolved paths.
        let root = (path as NSString).resolvingSymlinksInPath
        let resolved = (dir as NSString).resolvingSymlinksInPath
        guard resolved == root || resolved.hasPrefix(root + "/") else {
            throw ReportError("report path '\(relative)' leads outside the reports root \(path)")
        }
        let tmp = full + ".tmp-\(getpid())-\(UUID().uuidString)"
        try Data(text.utf8).write(to: URL(fileURLWithPath: tmp))
        guard rename(tmp, full) == 0 else {
            let e = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: tmp)
            throw ReportError("cannot write \(full): \(e)")
        }
        return full
    }
}
