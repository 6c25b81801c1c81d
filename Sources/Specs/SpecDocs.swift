// Every job-spec field as documented: the rows of the README's spec tables and of `isomine run --help`,
// declared once here (a test keeps the README equal to them and to the fields the decoders accept).

/// One documented spec field: as in the README table (Markdown inline code kept as written).
public struct SpecFieldDoc: Sendable, Equatable {
    /// The field, e.g. "`loss.margin`" (several names for fields documented together).
    public let field: String
    public let type: String
    public let defaultValue: String
    public let meaning: String
}

/// The documented fields of each spec kind, in README order.
public enum SpecDocs {
    public static let train: [SpecFieldDoc] = [
        SpecFieldDoc(field: "`kind`", type: "`\"train\"` \\| `\"analyze\"` \\| `\"sweep\"`", defaultValue: "—",
                     meaning: "job kind; the analyze and sweep fields are listed below"),
        SpecFieldDoc(field: "`name`", type: "string", defaultValue: "none",
                     meaning: "label echoed in the result (at most 200 characters, one line)"),
        SpecFieldDoc(field: "`queue`", type: "string", defaultValue: "`default`",
                     meaning: "the queue the job goes to when enqueued (1–63 of `a-z 0-9 _ . -`); workers serve `--queues`"),
        SpecFieldDoc(field: "`seed`", type: "integer ≥ 0", defaultValue: "0",
                     meaning: "seeds the split, initialisation, sampling and the random miner"),
        SpecFieldDoc(field: "`dataset`", type: "object", defaultValue: "—",
                     meaning: "see below"),
        SpecFieldDoc(field: "`split.by`", type: "`instance` \\| `class`", defaultValue: "`instance`",
                     meaning: "`instance`: stratified, about `test_fraction` of every class held out (at least 2 training samples stay in each class). `class`: whole classes held out, the zero-shot retrieval protocol (needs ≥ 4 classes; at least 2 on each side)"),
        SpecFieldDoc(field: "`split.test_fraction`", type: "(0, 1)", defaultValue: "0.3 (`instance`), 0.5 (`class`)",
                     meaning: "the test split may have at most 20,000 rows: evaluation is exact and holds its N × N distance matrix"),
        SpecFieldDoc(field: "`standardize`", type: "bool", defaultValue: "true",
                     meaning: "per-feature mean/std of the **training** split applied to both splits; a constant feature is only centred"),
        SpecFieldDoc(field: "`model.hidden`", type: "array of 0–16 integers in 1…65536", defaultValue: "`[256, 256]`",
                     meaning: "hidden layer widths (ReLU)"),
        SpecFieldDoc(field: "`model.embedding_dim`", type: "1…4096", defaultValue: "64",
                     meaning: "embedding dimension n (the whole model may have at most 10⁸ parameters)"),
        SpecFieldDoc(field: "`model.normalize`", type: "bool", defaultValue: "true",
                     meaning: "L2-normalise the output (embeddings on the unit sphere)"),
        SpecFieldDoc(field: "`loss.type`", type: "`hinge` \\| `soft`", defaultValue: "`hinge`",
                     meaning: "`[d⁺ − d⁻ + α]₊` or `softplus(d⁺ − d⁻ + α)`"),
        SpecFieldDoc(field: "`loss.margin`", type: "≥ 0", defaultValue: "0.2",
                     meaning: "α"),
        SpecFieldDoc(field: "`loss.distance`", type: "`euclidean` \\| `squared`", defaultValue: "`euclidean`",
                     meaning: "‖a−b‖ (gradient of √ at 0 taken as 0) or ‖a−b‖²"),
        SpecFieldDoc(field: "`miner`", type: "see Miners", defaultValue: "`batch-hard`",
                     meaning: "which triplets of a batch the loss sees"),
        SpecFieldDoc(field: "`sampler.classes_per_batch`", type: "≥ 2, ≤ training classes", defaultValue: "8",
                     meaning: "P"),
        SpecFieldDoc(field: "`sampler.samples_per_class`", type: "≥ 2", defaultValue: "16",
                     meaning: "K; P × K ≤ 4096 (≤ 256 for `batch-all`, which mines up to B³ triplets)"),
        SpecFieldDoc(field: "`optimizer.type`", type: "`adam` \\| `sgd`", defaultValue: "`adam`",
                     meaning: "Adam as `torch.optim.Adam`; SGD with heavy-ball momentum as `torch.optim.SGD`"),
        SpecFieldDoc(field: "`optimizer.learning_rate`", type: "(0, 10]", defaultValue: "1e-3 (adam), 1e-2 (sgd)",
                     meaning: ""),
        SpecFieldDoc(field: "`optimizer.weight_decay`", type: "[0, 1]", defaultValue: "0",
                     meaning: "L2 penalty added to the gradient (coupled, as PyTorch)"),
        SpecFieldDoc(field: "`optimizer.beta1`, `beta2`, `epsilon`", type: "[0,1), [0,1), (0,1]", defaultValue: "0.9, 0.999, 1e-8",
                     meaning: "Adam only"),
        SpecFieldDoc(field: "`optimizer.momentum`", type: "[0, 1)", defaultValue: "0.9",
                     meaning: "SGD only"),
        SpecFieldDoc(field: "`optimizer.schedule.type`", type: "`constant` \\| `cosine` \\| `step`", defaultValue: "`constant`",
                     meaning: "learning-rate schedule"),
        SpecFieldDoc(field: "`optimizer.schedule.min_learning_rate`", type: "≥ 0", defaultValue: "0",
                     meaning: "`cosine`: half-cosine from `learning_rate` to this at the last step"),
        SpecFieldDoc(field: "`optimizer.schedule.step_size`, `gamma`", type: "≥ 1, (0, 1]", defaultValue: "—, 0.1",
                     meaning: "`step`: multiply by `gamma` every `step_size` steps"),
        SpecFieldDoc(field: "`steps`", type: "1…10⁸", defaultValue: "2000",
                     meaning: "training steps"),
        SpecFieldDoc(field: "`eval_every`", type: "≥ 1", defaultValue: "steps/10",
                     meaning: "evaluation interval; step 0 and the last step are always evaluated"),
        SpecFieldDoc(field: "`checkpoint_every`", type: "≥ 0", defaultValue: "0",
                     meaning: "write a checkpoint every N steps (0: never)"),
        SpecFieldDoc(field: "`blas_threads`", type: "1…256", defaultValue: "1",
                     meaning: "OpenBLAS threads for this job (set explicitly; OpenBLAS's default is one per core)"),
        SpecFieldDoc(field: "`estimators.enabled`", type: "bool", defaultValue: "true",
                     meaning: "compute the estimator block at every evaluation"),
        SpecFieldDoc(field: "`estimators.probe_size`", type: "3…2000", defaultValue: "256",
                     meaning: "points of the evaluation set analysed: a seeded stratified probe, fixed for the run (a smaller evaluation set is analysed whole)"),
        SpecFieldDoc(field: "`estimators.iterations`", type: "0…100000", defaultValue: "150",
                     meaning: "f* descent iterations per start at every evaluation but the last (0: chosen by size)"),
        SpecFieldDoc(field: "`estimators.final_iterations`", type: "0…100000", defaultValue: "600",
                     meaning: "the same at the last evaluation, whose brackets the result, report and artifacts keep (on the reference run: d_iso ratio 1.02, d_haus 1.20)"),
        SpecFieldDoc(field: "`stop_on_collapse`", type: "bool", defaultValue: "false",
                     meaning: "end the run at the first evaluation whose verdict is collapsed, as **succeeded** with verdict `collapsed` and `stopped_on_collapse_at` in the result (through the worker, `collapse.detected` is recorded first)"),
    ]

    public static let analyze: [SpecFieldDoc] = [
        SpecFieldDoc(field: "`kind`", type: "`\"analyze\"`", defaultValue: "—",
                     meaning: ""),
        SpecFieldDoc(field: "`name`", type: "string", defaultValue: "none",
                     meaning: "at most 200 characters, one line"),
        SpecFieldDoc(field: "`queue`", type: "string", defaultValue: "`default`",
                     meaning: "as for train jobs"),
        SpecFieldDoc(field: "`dataset`", type: "object", defaultValue: "—",
                     meaning: "as for train jobs"),
        SpecFieldDoc(field: "`margin`", type: "≥ 0", defaultValue: "0.2",
                     meaning: "α of the reported batch-hard, batch-all and semi-hard hinge losses"),
        SpecFieldDoc(field: "`probe_size`", type: "3…20000", defaultValue: "2000",
                     meaning: "sets of up to 2000 points are analysed whole; larger ones through a seeded stratified probe of this size (an error if it exceeds the set)"),
        SpecFieldDoc(field: "`iterations`", type: "0…100000", defaultValue: "0",
                     meaning: "f* descent iterations per start (0: 2000 up to 50 points, 600 up to 300, 250 up to 600, else 80)"),
        SpecFieldDoc(field: "`seed`", type: "integer ≥ 0", defaultValue: "0",
                     meaning: "seeds the probe and the thickness search"),
        SpecFieldDoc(field: "`reference_scale`", type: "> 0", defaultValue: "none",
                     meaning: "the distance the spread is judged against; without it, L2-normalised embeddings are judged against the sphere (√2 × their norm) and other embeddings' spread is not judged (see *Collapse signal and verdict*)"),
        SpecFieldDoc(field: "`blas_threads`", type: "1…256", defaultValue: "1",
                     meaning: ""),
    ]

    public static let sweep: [SpecFieldDoc] = [
        SpecFieldDoc(field: "`kind`", type: "`\"sweep\"`", defaultValue: "—",
                     meaning: ""),
        SpecFieldDoc(field: "`name`", type: "string", defaultValue: "none",
                     meaning: "also the prefix of every run's name: `NAME [path=value, …]` (cut to 200 characters)"),
        SpecFieldDoc(field: "`queue`", type: "string", defaultValue: "`default`",
                     meaning: "the queue of the sweep and all its runs (a grid may not vary it)"),
        SpecFieldDoc(field: "`base`", type: "object", defaultValue: "—",
                     meaning: "a train spec (`kind` may be left out); every run starts from it"),
        SpecFieldDoc(field: "`grid`", type: "object", defaultValue: "—",
                     meaning: "each key a dotted path of a train-spec field (`sampler.samples_per_class`, `model.embedding_dim`, `optimizer.learning_rate`, `miner`, `seed`, …; objects on the way are created), each value a non-empty array of distinct values; at most 1000 runs in all. Axes are taken in alphabetical order of their paths, the replicate axis last"),
        SpecFieldDoc(field: "`replicate`", type: "a grid key", defaultValue: "`seed` when the grid has it, else none",
                     meaning: "the axis runs are repeated over: a *cell* is a grid point without it, and the cell's collapse rate is over its replicates"),
    ]

    /// The rows as a Markdown table (what the README holds).
    public static func markdown(_ rows: [SpecFieldDoc]) -> String {
        (["| field | type, range | default | meaning |", "|---|---|---|---|"]
            + rows.map { "| \($0.field) | \($0.type) | \($0.defaultValue) |" + ($0.meaning.isEmpty ? " |" : " \($0.meaning) |") }).joined(separator: "\n")
    }

    /// The rows as plain text for `--help`: field, type and default on one line, the meaning below.
    public static func plainText(_ rows: [SpecFieldDoc]) -> String {
        func plain(_ s: String) -> String { s.replacingOccurrences(of: "`", with: "").replacingOccurrences(of: "\\|", with: "|").replacingOccurrences(of: "**", with: "") }
        return rows.map { r in
            let head = "  " + plain(r.field) + "  (" + plain(r.type) + "; default " + plain(r.defaultValue) + ")"
            return r.meaning.isEmpty ? head : head + "\n      " + plain(r.meaning)
        }.joined(separator: "\n")
    }
}
