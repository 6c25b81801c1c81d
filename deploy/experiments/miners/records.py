#!/usr/bin/env python3
"""Per-run records of miner sweeps: what table.py reads, small enough to commit beside the tables.

    python3 records.py OUT_DIR [OUT_DIR ...] > records-GRID.jsonl    # the --out folders of `isomine run SWEEP.json`

One JSON object per succeeded run, ordered by (n, K, miner, seed): n (model.embedding_dim), K
(sampler.samples_per_class), miner, seed, p1 and map (final P@1 and MAP@R), collapsed (final verdict
collapsed), ever (collapsed at any evaluation or signal-probe record: the run has a first_collapse_step),
steps_per_second (training steps only, from the run's own result; null when it is missing). A later
folder's run of a (n, K, miner, seed) already read replaces it. Standard library only.
"""
import json
import sys


def from_folder(out):
    """The records of one `isomine run SWEEP.json --out OUT` folder."""
    result = json.load(open(f"{out}/result.json"))
    base_miner = result["spec"]["base"].get("miner", "batch-hard")
    base_seed = result["spec"]["base"].get("seed", 0)
    for r in sorted(result["runs"], key=lambda r: r["index"]):
        if r["state"] != "succeeded":
            continue
        p = r["params"]
        try:
            speed = json.load(open(f"{out}/runs/{r['index']:03d}/result.json"))["timing"]["steps_per_second"]
        except (OSError, KeyError, ValueError):
            speed = None
        yield {
            "n": int(p["model.embedding_dim"]), "K": int(p["sampler.samples_per_class"]),
            "miner": p.get("miner", base_miner), "seed": p.get("seed", base_seed),
            "p1": r["final"]["precision_at_1"], "map": r["final"]["map_at_r"],
            "collapsed": r["verdict"] == "collapsed", "ever": r.get("first_collapse_step") is not None,
            "steps_per_second": speed,
        }


def read(path):
    """Records from a records file (.jsonl) or an --out folder."""
    if path.endswith(".jsonl"):
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]
    return list(from_folder(path))


def merged(paths):
    """The records of every path, a later path's run of the same (n, K, miner, seed) replacing an earlier one's."""
    runs = {}
    for path in paths:
        for r in read(path):
            runs[(r["n"], r["K"], r["miner"], r["seed"])] = r
    return [runs[k] for k in sorted(runs)]


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for r in merged(sys.argv[1:]):
        print(json.dumps(r, sort_keys=True))
