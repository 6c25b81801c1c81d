#!/usr/bin/env python3
"""Per-cell table of miner sweeps, and issue 25's bar for the collapse-aware miner.

    python3 table.py OUT_DIR [OUT_DIR ...]                # the --out folders of `isomine run SWEEP.json`
    python3 table.py --markdown OUT_DIR [OUT_DIR ...]     # the docs' table: P@1 per cell and miner

Reads each DIR/result.json (a sweep over miner x model.embedding_dim x sampler.samples_per_class x
seed) and prints, per (n, K) and miner: final collapse rate, ever-collapsed rate (collapsed at any
evaluation or signal-probe record), mean final P@1 and MAP@R, median training steps/s. Then, per
cell, the bar: where batch-hard collapses (final or ever), collapse-aware's collapse rate 0, its
ever-collapsed rate <= 0.1 and its P@1 >= the best other miner's - 0.01; where batch-hard stays
healthy, its P@1 >= batch-hard's - 0.005. Standard library only.
"""
import json
import statistics
import sys

NEW = "collapse-aware"
ORDER = ["batch-hard", "semi-hard", "batch-all", "easy-positive", NEW]
markdown = "--markdown" in sys.argv[1:]
cells = {}
for out in [a for a in sys.argv[1:] if a != "--markdown"]:
    result = json.load(open(f"{out}/result.json"))
    base_miner = result["spec"]["base"].get("miner", "batch-hard")
    for cell in result["cells"]:
        p = cell["params"]
        key = (int(p["model.embedding_dim"]), int(p["sampler.samples_per_class"]))
        miner = p.get("miner", base_miner)
        runs = [r for r in result["runs"] if r["cell"] == cell["cell"] and r["state"] == "succeeded"]
        speeds = []
        for r in runs:
            try:
                speeds.append(json.load(open(f"{out}/runs/{r['index']:03d}/result.json"))["timing"]["steps_per_second"])
            except (OSError, KeyError, ValueError):
                pass
        m = cell["metrics"]
        cells.setdefault(key, {})[miner] = {
            "runs": cell["succeeded"], "collapse": cell["collapse_rate"], "ever": cell["ever_collapsed_rate"],
            "p1": m["precision_at_1"]["mean"], "map": m["map_at_r"]["mean"],
            "sps": statistics.median(speeds) if speeds else float("nan"),
        }

if markdown:
    # P@1 (mean over seeds); in brackets the runs collapsed at some step, when any; bold when a run ended collapsed.
    miners = [m for m in ORDER if any(m in row for row in cells.values())]
    print("| n | K | " + " | ".join(f"`{m}`" for m in miners) + " |")
    print("|---|---|" + "---|" * len(miners))
    for key in sorted(cells):
        row = cells[key]
        out = []
        for m in miners:
            c = row.get(m)
            if c is None:
                out.append("—")
                continue
            text = f"{c['p1']:.3f}"
            if c["collapse"] > 0:
                text = f"**{text}**"
            ever = round(c["ever"] * c["runs"])
            if ever:
                text += f" ({ever}/{c['runs']})"
            out.append(text)
        print(f"| {key[0]} | {key[1]} | " + " | ".join(out) + " |")
    sys.exit(0)

print(f"{'n':>2} {'K':>3}  {'miner':<15} {'runs':>4} {'collapse':>8} {'ever':>5} {'P@1':>6} {'MAP@R':>6} {'steps/s':>8}")
for key in sorted(cells):
    for miner, c in sorted(cells[key].items()):
        print(f"{key[0]:>2} {key[1]:>3}  {miner:<15} {c['runs']:>4} {c['collapse']:>8.2f} {c['ever']:>5.2f} {c['p1']:>6.3f} {c['map']:>6.3f} {c['sps']:>8.0f}")

print("\nbar (issue 25):")
failures = 0
for key in sorted(cells):
    row = cells[key]
    if NEW not in row or "batch-hard" not in row:
        continue
    new, hard = row[NEW], row["batch-hard"]
    if hard["collapse"] > 0 or hard["ever"] > 0:
        best = max(c["p1"] for m, c in row.items() if m != NEW)
        ok = new["collapse"] == 0 and new["ever"] <= 0.1 and new["p1"] >= best - 0.01
        what = f"batch-hard collapses: collapse {new['collapse']:.2f}, ever {new['ever']:.2f}, P@1 {new['p1']:.4f} vs best other {best:.4f} - 0.01"
    else:
        ok = new["p1"] >= hard["p1"] - 0.005
        what = f"batch-hard healthy: P@1 {new['p1']:.4f} vs batch-hard {hard['p1']:.4f} - 0.005"
    failures += not ok
    print(f"  n={key[0]} K={key[1]}: {'pass' if ok else 'FAIL'} ({what})")
print(f"{failures} cell(s) miss the bar")
