// The report templates of templates/, embedded in the binary so reports render without the source tree.

/// Mustache template sources by name (`job`, `sweep`, `series`, `index`, `compare`, and the `style` partial).
public enum Templates {
    public static let all: [String: String] = [
        "style": String(decoding: PackageResources.style_mustache, as: UTF8.self),
        "job": String(decoding: PackageResources.job_mustache, as: UTF8.self),
        "sweep": String(decoding: PackageResources.sweep_mustache, as: UTF8.self),
        "index": String(decoding: PackageResources.index_mustache, as: UTF8.self),
        "series": String(decoding: PackageResources.series_mustache, as: UTF8.self),
        "compare": String(decoding: PackageResources.compare_mustache, as: UTF8.self),
    ]
}
