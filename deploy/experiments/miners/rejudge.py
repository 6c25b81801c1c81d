#!/usr/bin/env python3
"""Re-judge a records file after a verdict change that cannot touch training: re-run, at the current
commit, every run the change could move, and rewrite its `collapsed` and `ever` flags.

    python3 rejudge.py ISOMINE sweep-GRID.json records-GRID.jsonl [--lanes 2] [--work DIR] > new.jsonl

A verdict change that only turns some collapsed readings into partial ones (as the reference's
sampling-noise allowance does) can move only the runs that read collapsed at some record (`ever`), so
only those are run again: each as a train spec of the sweep's base with the record's miner, n, K and
seed, through `ISOMINE run` (the same spec a sweep runs). Every re-run must give the record's final
P@1 and MAP@R to the last bit, the check that training did not change; a run that does not is an
error. Writes all records, changed or not, in their order; prints on stderr how many flags moved.
Run with ISOMINE_DATA_ROOT at the folder of the sweep's NPY files, OPENBLAS_NUM_THREADS=1.
Standard library only.
"""
import argparse
import concurrent.futures
import copy
import json
import os
import subprocess
import sys
import tempfile


def spec_of(base, record):
    """The sweep's base with the record's grid values (the keys the miners sweeps vary)."""
    spec = copy.deepcopy(base)
    spec["kind"] = "train"
    spec["name"] = f"rejudge-{record['miner']}-n{record['n']}-K{record['K']}-s{record['seed']}"
    spec["miner"] = record["miner"]
    spec["seed"] = record["seed"]
    spec.setdefault("model", {})["embedding_dim"] = record["n"]
    spec.setdefault("sampler", {})["samples_per_class"] = record["K"]
    return spec


def rerun(binary, work, base, record):
    spec = spec_of(base, record)
    folder = os.path.join(work, spec["name"])
    path = folder + ".json"
    with open(path, "w") as f:
        json.dump(spec, f)
    done = subprocess.run([binary, "run", path, "--out", folder], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{spec['name']}: isomine run exited {done.returncode}: {done.stderr.strip()[-400:]}")
    result = json.load(open(os.path.join(folder, "result.json")))
    p1, mapr = result["final"]["eval"]["precision_at_1"], result["final"]["eval"]["map_at_r"]
    if p1 != record["p1"] or mapr != record["map"]:
        raise RuntimeError(f"{spec['name']}: training changed (P@1 {p1} vs {record['p1']}, MAP@R {mapr} vs {record['map']})")
    return dict(record, collapsed=result["verdict"] == "collapsed", ever=result.get("first_collapse_step") is not None)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("isomine")
    ap.add_argument("sweep")
    ap.add_argument("records")
    ap.add_argument("--lanes", type=int, default=2)
    ap.add_argument("--work")
    a = ap.parse_args()
    base = json.load(open(a.sweep))["base"]
    old = [json.loads(line) for line in open(a.records)]
    records = list(old)
    work = a.work or tempfile.mkdtemp(prefix="rejudge-")
    os.makedirs(work, exist_ok=True)
    todo = [i for i, r in enumerate(records) if r["ever"]]
    with concurrent.futures.ThreadPoolExecutor(a.lanes) as pool:
        for i, new in zip(todo, pool.map(lambda i: rerun(a.isomine, work, base, records[i]), todo)):
            records[i] = new
    moved = {"ever": 0, "collapsed": 0}
    for r, o in zip(records, old):
        for key in moved:
            moved[key] += r[key] != o[key]
    for r in records:
        print(json.dumps(r, sort_keys=True))
    print(f"rejudge: {len(todo)} runs re-run; flags moved: ever {moved['ever']}, collapsed {moved['collapsed']}", file=sys.stderr)


if __name__ == "__main__":
    main()
