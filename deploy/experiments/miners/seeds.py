#!/usr/bin/env python3
"""More seeds of a miner sweep: copies of it over another seed range, each within a sweep's 1000 runs.

    python3 seeds.py sweep-GRID.json FIRST END OUT_DIR     # seeds FIRST … END − 1

Writes OUT_DIR/sweep-GRID-seeds-A-B.json (seeds A … B: as few files as the 1000-run limit allows, of equal
size to a seed), the same spec with only `grid.seed` and `name` changed, and prints their names.
Run each with `isomine run FILE --out DIR` and merge with `records.py records-GRID.jsonl DIR ...`:
the tables' 30-seed grids are seeds 0–9 of the committed sweeps and 10–29 from this script.
Standard library only.
"""
import json
import os
import sys

MAX_RUNS = 1000

if len(sys.argv) != 5:
    sys.exit(__doc__)
path, first, end, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
if not 0 <= first < end:
    sys.exit(f"seeds.py: FIRST {first} and END {end} must satisfy 0 <= FIRST < END")
spec = json.load(open(path))
per_seed = 1
for key, values in spec["grid"].items():
    if key != "seed":
        per_seed *= len(values)
if per_seed > MAX_RUNS:
    sys.exit(f"seeds.py: one seed of {path} is already {per_seed} runs, over a sweep's {MAX_RUNS}")
# As few files as the limit allows, of equal size (to a seed).
parts = -(-(end - first) // (MAX_RUNS // per_seed))
bounds = [first + (end - first) * i // parts for i in range(parts + 1)]
stem = os.path.basename(path)[: -len(".json")]
os.makedirs(out, exist_ok=True)
for a, b in zip(bounds, bounds[1:]):
    part = dict(spec, name=f"{spec['name']}-seeds-{a}-{b - 1}", grid=dict(spec["grid"], seed=list(range(a, b))))
    name = os.path.join(out, f"{stem}-seeds-{a}-{b - 1}.json")
    with open(name, "w") as f:
        json.dump(part, f, indent=2)
        f.write("\n")
    print(name)
