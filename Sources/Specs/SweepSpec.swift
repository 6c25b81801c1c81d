// The `sweep` job spec: a base train spec and a grid of overrides, expanded into validated child specs.

/// One axis of a sweep grid: a dotted path into the train spec and the values it takes.
public struct SweepAxis: Sendable, Equatable {
    /// Dotted path of the overridden train-spec field, e.g. `sampler.samples_per_class`.
    public var path: String
    public var values: [JSONValue]
}

/// One child of a sweep: a grid point and its validated train spec.
public struct SweepChild: Sendable, Equatable {
    /// Position in expansion order (cells in grid order, replicates adjacent).
    public var index: Int
    /// Index of the cell (the grid point without the replicate axis).
    public var cell: Int
    /// The value of every axis at this point, in axis order.
    public var values: [JSONValue]
    public var spec: TrainSpec
}

/// A validated sweep: every child spec is built and validated when the sweep is parsed, so a bad grid
/// value fails the sweep at once instead of failing its children one by one.
public struct SweepSpec: Sendable, Equatable {
    public var name: String?
    /// The queue the sweep and its runs go to (nil: "default").
    public var queue: String?
    /// The base train spec as given (without `kind`).
    public var base: JSONValue
    /// Axes in alphabetical order of their paths, except the replicate axis, which comes last.
    public var axes: [SweepAxis]
    /// The axis runs are repeated over (cells aggregate across it), or nil: one run per cell.
    public var replicateAxis: String?
    /// Every grid point, cells in order, each cell's replicates adjacent.
    public var children: [SweepChild]

    /// Most children one sweep may have.
    public static let maxChildren = 1000
    /// Fields of the base that a grid may not override.
    static let fixedFields: Set<String> = ["kind", "name", "queue"]

    /// Axes that define cells (all but the replicate axis).
    public var cellAxes: [SweepAxis] { axes.filter { $0.path != replicateAxis } }
    /// Number of cells.
    public var cellCount: Int { cellAxes.reduce(1) { $0 * $1.values.count } }

    static func parse(_ r: SpecReader) throws -> SweepSpec {
        let name = try r.jobName()
        let queue = try r.jobQueue()
        guard let baseValue = r.raw("base") else { throw SpecError(path: "spec.base", "is required (a train spec)") }
        guard case .object(var base) = baseValue else {
            throw SpecError(path: "spec.base", "must be an object (a train spec), got \(baseValue.typeName)")
        }
        if let kind = base["kind"], kind != .string("train") {
            throw SpecError(path: "spec.base.kind", "a sweep runs train jobs: must be \"train\" or left out")
        }
        base["kind"] = nil
        guard let gridValue = r.raw("grid") else { throw SpecError(path: "spec.grid", "is required (an object of path: [values])") }
        guard case .object(let grid) = gridValue, !grid.isEmpty else {
            throw SpecError(path: "spec.grid", "must be a non-empty object mapping train-spec paths to arrays of values")
        }
        var axes: [SweepAxis] = []
        for path in grid.keys.sorted() {
            let at = "spec.grid[\"\(path)\"]"
            let segments = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard !path.isEmpty, segments.allSatisfy({ !$0.isEmpty }) else {
                throw SpecError(path: at, "is not a dotted path to a train-spec field (e.g. sampler.samples_per_class)")
            }
            if fixedFields.contains(segments[0]) && segments.count == 1 {
                throw SpecError(path: at, "'\(path)' cannot be swept")
            }
            guard case .array(let values) = grid[path]!, !values.isEmpty else {
                throw SpecError(path: at, "must be a non-empty array of values")
            }
            for (i, v) in values.enumerated() where values[..<i].contains(v) {
                throw SpecError(path: "\(at)[\(i)]", "repeats an earlier value")
            }
            axes.append(SweepAxis(path: path, values: values))
        }
        let replicate: String?
        if r.has("replicate") {
            let axis = try r.string("replicate")
            guard grid[axis] != nil else {
                throw SpecError(path: "spec.replicate", "'\(axis)' is not an axis of spec.grid; expected one of \(grid.keys.sorted().joined(separator: ", "))")
            }
            replicate = axis
        } else {
            _ = r.raw("replicate")
            replicate = grid["seed"] != nil ? "seed" : nil
        }
        try r.rejectUnknownKeys()
        if let replicate, let i = axes.firstIndex(where: { $0.path == replicate }) { axes.append(axes.remove(at: i)) }

        let total = axes.reduce(1) { $0 * $1.values.count }
        if total > maxChildren {
            throw SpecError(path: "spec.grid", "expands to \(total) runs; a sweep may have at most \(maxChildren)")
        }
        var sweep = SweepSpec(name: name, base: .object(base), axes: axes, replicateAxis: replicate, children: [])
        sweep.queue = queue
        sweep.children = try sweep.expand(base: base)
        return sweep
    }

    /// Every grid point in order: the last axis varies fastest.
    private func expand(base: [String: JSONValue]) throws -> [SweepChild] {
        let total = axes.reduce(1) { $0 * $1.values.count }
        let replicates = replicateAxis.flatMap { p in axes.first { $0.path == p }?.values.count } ?? 1
        var children: [SweepChild] = []
        children.reserveCapacity(total)
        for index in 0..<total {
            var rest = index
            var choice = [Int](repeating: 0, count: axes.count)
            for a in axes.indices.reversed() {
                choice[a] = rest % axes[a].values.count
                rest /= axes[a].values.count
            }
            var object = base
            object["kind"] = .string("train")
            object["name"] = .string(childName(choice))
            for (a, axis) in axes.enumerated() {
                try SweepSpec.set(axis.values[choice[a]], at: axis.path.split(separator: ".").map(String.init), in: &object,
                                  field: "spec.grid[\"\(axis.path)\"]")
            }
            let spec: JobSpec
            do {
                spec = try JobSpec.parse(.object(object))
            } catch let e as SpecError {
                throw blame(e, choice: choice)
            }
            guard case .train(let train) = spec else { throw SpecError(path: "spec.base", "does not describe a train job") }
            children.append(SweepChild(index: index, cell: index / replicates, values: axes.indices.map { axes[$0].values[choice[$0]] }, spec: train))
        }
        return children
    }

    /// `<sweep name> [path=value, …]`: tells children apart in job lists.
    private func childName(_ choice: [Int]) -> String {
        let label = pointLabel(choice)
        let prefix: String
        if let name { prefix = name } else if case .string(let b)? = base["name"] { prefix = b } else { prefix = "sweep" }
        let full = "\(prefix) [\(label)]"
        // Children are specs too: keep their names within the limit (the grid point is in the spec anyway).
        return full.count <= SpecLimits.maxNameLength ? full : String(full.prefix(SpecLimits.maxNameLength - 1)) + "…"
    }

    /// `path=value, …` of one grid point.
    private func pointLabel(_ choice: [Int]) -> String {
        axes.indices.map { "\(axes[$0].path)=\(SweepSpec.text(axes[$0].values[choice[$0]]))" }.joined(separator: ", ")
    }

    /// Names the grid value (or base field) a child's validation error comes from.
    private func blame(_ e: SpecError, choice: [Int]) -> SpecError {
        let field = e.path.hasPrefix("spec.") ? String(e.path.dropFirst(5)) : e.path
        let point = pointLabel(choice)
        for (a, axis) in axes.enumerated() where field == axis.path || field.hasPrefix(axis.path + ".") {
            return SpecError(path: "spec.grid[\"\(axis.path)\"][\(choice[a])]", e.message)
        }
        let path = e.path == "spec" ? "spec.base" : "spec.base." + field
        return SpecError(path: path, "\(e.message) (in the run \(point))")
    }

    /// Sets `value` at a dotted path, creating intermediate objects; a non-object on the way is an error.
    static func set(_ value: JSONValue, at path: [String], in object: inout [String: JSONValue], field: String) throws {
        guard let head = path.first else { return }
        if path.count == 1 {
            object[head] = value
            return
        }
        var inner: [String: JSONValue]
        switch object[head] {
        case nil, .null?: inner = [:]
        case .object(let o)?: inner = o
        case let other?:
            throw SpecError(path: field, "cannot set a field inside spec.base.\(head), which is \(other.typeName)")
        }
        try set(value, at: Array(path.dropFirst()), in: &inner, field: field)
        object[head] = .object(inner)
    }

    /// A grid value as short text for names and labels.
    public static func text(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): return s
        case .number(let d): return SpecReader.format(d)
        case .bool(let b): return String(b)
        case .null: return "null"
        default: return (try? v.compactText()) ?? "?"
        }
    }

    /// The spec as JSON (parses back to the same sweep).
    public var json: JSONValue {
        var grid: [String: JSONValue] = [:]
        for axis in axes { grid[axis.path] = .array(axis.values) }
        var out: [String: JSONValue] = ["kind": .string("sweep"), "base": base, "grid": .object(grid)]
        if let name { out["name"] = .string(name) }
        if let queue { out["queue"] = .string(queue) }
        if let replicateAxis { out["replicate"] = .string(replicateAxis) }
        return .object(out)
    }
}
