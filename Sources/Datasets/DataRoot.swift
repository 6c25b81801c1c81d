// Confines every file a job reads to the data root (ISOMINE_DATA_ROOT): no absolute paths, no `..`, no symlink escape.
import Foundation

/// The directory job inputs are read from, and the check that keeps them inside it.
public struct DataRoot: Sendable, Equatable {
    /// Absolute, symlink-resolved path of the root.
    public let path: String

    /// The environment variable naming the root.
    public static let environmentVariable = "ISOMINE_DATA_ROOT"

    /// A root at `path` (relative paths resolve against the working directory).
    public init(path: String) {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        self.path = DataRoot.realPath(absolute) ?? URL(fileURLWithPath: absolute).standardizedFileURL.path
    }

    /// `$ISOMINE_DATA_ROOT`, or `./data` under the working directory when it is unset.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> DataRoot {
        if let p = env[environmentVariable], !p.isEmpty { return DataRoot(path: p) }
        return DataRoot(path: "data")
    }

    /// Resolves `relative` inside the root, or throws naming `field`.
    ///
    /// Rejects absolute paths and `..` components outright, then resolves symlinks and checks the
    /// real path still lies under the root, so a link planted in the root cannot point outside it.
    public func resolve(_ relative: String, field: String) throws -> String {
        if relative.isEmpty { throw DatasetError(field: field, "is empty; give a file path relative to the data root \(path)") }
        if relative.hasPrefix("/") {
            throw DatasetError(field: field, "'\(relative)' is absolute; paths are relative to the data root \(path) (\(DataRoot.environmentVariable))")
        }
        if relative.split(separator: "/").contains("..") {
            throw DatasetError(field: field, "'\(relative)' contains '..'; files must stay inside the data root \(path)")
        }
        let joined = path + "/" + relative
        guard let real = DataRoot.realPath(joined) else {
            throw DatasetError(field: field, "'\(relative)' does not exist under the data root \(path) (\(DataRoot.environmentVariable))")
        }
        guard real.hasPrefix(path + "/") else {
            throw DatasetError(field: field, "'\(relative)' resolves outside the data root \(path) (symbolic link?)")
        }
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: real, isDirectory: &isDir), isDir.boolValue {
            throw DatasetError(field: field, "'\(relative)' is a directory, not a file")
        }
        return real
    }

    static func realPath(_ p: String) -> String? {
        guard let r = realpath(p, nil) else { return nil }
        defer { free(r) }
        return String(cString: r)
    }

    /// Reads a resolved file's bytes.
    static func read(_ realPath: String, field: String) throws -> [UInt8] {
        if let size = (try? FileManager.default.attributesOfItem(atPath: realPath))?[.size] as? Int {
            try InputLimits.current.checkFileSize(size, field: field, path: realPath)
            // Its bytes, and the Data they arrive in, must fit this job's memory.
            try InputLimits.current.checkMemory(size &* 2, field: field, what: "'\(realPath)' (\(size) bytes)")
        }
        guard let data = FileManager.default.contents(atPath: realPath) else {
            throw DatasetError(field: field, "cannot read '\(realPath)' (permissions?)")
        }
        return [UInt8](data)
    }
}
