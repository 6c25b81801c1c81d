// The `sweep` job spec: a base train spec and a grid of overrides, expanded into validated child specs.

/// One axis of a sweep grid: a dotted path into the train spec and the values it takes.
public struct SweepAxis: Sendable, Equatable {
    /// Dotted path of the overridden train-spec field, e.g. `sampler.samples_per_class`.
    public var path: String
    public var values: [JSONValue]
}

/// One child of a sweep: a grid point and its validated train spec.
public struct SweepChild: Sendable, Equatable {
    /// Every axis's value for this child, keyed by the axis' path.
    public func params(_ axes: [SweepAxis]) -> [String: JSONValue] {
        var params: [String: JSONValue] = [:]
        for (a, axis) in axes.enumerated() { params[axis.path] = values[a] }
        return params
    }

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
        var sweep = SweepSpec(base: .object([:]), axes: [], replicateAxis: nil, children: [])
        try schema.decode(r, into: &sweep)
        if let replicate = sweep.replicateAxis, let i = sweep.axes.firstIndex(where: { $0.path == replicate }) {
            sweep.axes.append(sweep.axes.remove(at: i))
        }
        let total = sweep.axes.reduce(1) { $0 * $1.values.count }
        if total > maxChildren {
            throw SpecError(path: "spec.grid", "expands to \(total) runs; a sweep may have at most \(maxChildren)")
        }
        guard case .object(let base) = sweep.base else { throw SpecError(path: "spec.base", "is required (a train spec)") }
        sweep.children = try sweep.expand(base: base)
        return sweep
    }

    /// The spec as JSON (parses back to the same sweep).
    public var json: JSONValue { .object(SweepSpec.schema.encode(self)) }

    /// The sweep spec's fields, declared once (the spec reference's order).
    public static let schema = SpecSchema<SweepSpec>([
        .kind("sweep", type: "`\"sweep\"`", ""),
        .field("name", .jobName, \.name, default: .absent("none"),
               "also the prefix of every run's name: `NAME [path=value, …]` (cut to 200 characters)"),
        .field("queue", .queueName, \.queue, default: .absent("`default`"), "the queue of the sweep and all its runs (a grid may not vary it)"),
        .custom("base", type: "object", default: "—", "a train spec (`kind` may be left out); every run starts from it",
                decode: { sweep, value, at in sweep.base = try parseBase(value, at: at) }, encode: { $0.base }),
        .custom("grid", type: "object", default: "—",
                "each key a dotted path of a train-spec field (`sampler.samples_per_class`, `model.embedding_dim`, `optimizer.learning_rate`, `miner`, `seed`, …; objects on the way are created), each value a non-empty array of distinct values; at most 1000 runs in all. Axes are taken in alphabetical order of their paths, the replicate axis last",
                decode: { sweep, value, at in sweep.axes = try parseGrid(value, at: at) },
                encode: { sweep in .object(Dictionary(uniqueKeysWithValues: sweep.axes.map { ($0.path, .array($0.values)) })) }),
        .custom("replicate", type: "a grid key", default: "`seed` when the grid has it, else none",
                "the axis runs are repeated over: a *cell* is a grid point without it, and the cell's collapse rate is over its replicates",
                decode: { sweep, value, at in
                    let paths = sweep.axes.map(\.path)
                    guard let value else { sweep.replicateAxis = paths.contains("seed") ? "seed" : nil; return }
                    let axis = try FieldType<String>.string.read(value, at)
                    guard paths.contains(axis) else {
                        throw SpecError(path: at, "'\(axis)' is not an axis of spec.grid; expected one of \(paths.sorted().joined(separator: ", "))")
                    }
                    sweep.replicateAxis = axis
                }, encode: { $0.replicateAxis.map { .string($0) } }),
    ])

    /// `base`: a train spec object, its `kind` train or left out (and dropped).
    static func parseBase(_ value: JSONValue?, at: String) throws -> JSONValue {
        guard let value else { throw SpecError(path: at, "is required (a train spec)") }
        guard case .object(var base) = value else {
            throw SpecError(path: at, "must be an object (a train spec), got \(value.typeName)")
        }
        if let kind = base["kind"], kind != .string("train") {
            throw SpecError(path: "\(at).kind", "a sweep runs train jobs: must be \"train\" or left out")
        }
        base["kind"] = nil
        return .object(base)
    }

    /// `grid`: the axes in alphabetical order of their paths.
    static func parseGrid(_ value: JSONValue?, at: String) throws -> [SweepAxis] {
        guard let value else { throw SpecError(path: at, "is required (an object of path: [values])") }
        guard case .object(let grid) = value, !grid.isEmpty else {
            throw SpecError(path: at, "must be a non-empty object mapping train-spec paths to arrays of values")
        }
        var axes: [SweepAxis] = []
        for path in grid.keys.sorted() {
            let axisAt = "\(at)[\"\(path)\"]"
            let segments = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard !path.isEmpty, segments.allSatisfy({ !$0.isEmpty }) else {
                throw SpecError(path: axisAt, "is not a dotted path to a train-spec field (e.g. sampler.samples_per_class)")
            }
            if fixedFields.contains(segments[0]) && segments.count == 1 {
                throw SpecError(path: axisAt, "'\(path)' cannot be swept")
            }
            guard case .array(let values) = grid[path]!, !values.isEmpty else {
                throw SpecError(path: axisAt, "must be a non-empty array of values")
            }
            for (i, v) in values.enumerated() where values[..<i].contains(v) {
                throw SpecError(path: "\(axisAt)[\(i)]", "repeats an earlier value")
            }
            axes.append(SweepAxis(path: path, values: values))
        }
        return axes
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

    /// Sets `value` at a dotted path, creating intermediate objects; a non-object on the way is an error,
    /// except a train spec's shorthand (`"on_warning": "stop"`), which becomes the object it stands for.
    static func set(_ value: JSONValue, at path: [String], in object: inout [String: JSONValue], field: String, above: [String] = []) throws {
        guard let head = path.first else { return }
        if path.count == 1 {
            object[head] = value
            return
        }
        let here = above + [head]
        var inner: [String: JSONValue]
        switch (object[head], TrainSpec.schema.shorthands[here.joined(separator: ".")]) {
        case (nil, _), (.null?, _): inner = [:]
        case (.object(let o)?, _): inner = o
        case (.string(let s)?, let key?): inner = [key: .string(s)]
        case (let other?, _):
            throw SpecError(path: field, "cannot set a field inside spec.base.\(here.joined(separator: ".")), which is \(other.typeName)")
        }
        try set(value, at: Array(path.dropFirst()), in: &inner, field: field, above: here)
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
}
