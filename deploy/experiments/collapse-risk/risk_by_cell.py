#!/usr/bin/env python3
"""How the step-0 risk and the warning read cell by cell, and how well the risk is calibrated, on one
`isomine run SWEEP --out OUT` folder (issue 22, later):

    python3 risk_by_cell.py OUT [--out FILE]

Per cell of the first two grid axes: runs, runs collapsed at some record (the label: the probe's
first_collapse_step), the mean step-0 risk, runs warned at any step, healthy runs (final verdict
healthy, never collapsed) and those of them warned (false alarms). Then the risk's reliability: over
all runs, per risk band, the fraction that collapsed at some record. A risk that is a calibrated
probability has each band's rate within it. As run for data/demo-30-seeds.txt: the demo's sweep
(deploy/examples/sweep-digits.json) over seeds 0–29 (data/demo-30-seeds-sweep.json), at commit
c6667f1. Standard library only.
"""
import argparse
import json
import os


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--out")
    a = ap.parse_args()
    result = json.load(open(os.path.join(a.folder, "result.json")))
    axes = [x["path"] for x in result["axes"] if x["path"] != result.get("replicate_axis")][:2]
    cells, runs = {}, []
    for r in result["runs"]:
        if r["state"] != "succeeded":
            continue
        own = json.load(open(os.path.join(a.folder, "runs", f"{r['index']:03d}", "result.json")))
        risk = (own.get("collapse_risk") or {}).get("risk")
        if risk is None:
            continue
        ever = r.get("first_collapse_step") is not None
        warned = r.get("first_warning_step") is not None
        healthy = r["verdict"] == "healthy" and not ever
        cells.setdefault(tuple(r["params"].get(x) for x in axes), []).append((risk, ever, warned, healthy))
        runs.append((risk, ever))
    lines = [" ".join(axes) + " | runs | collapsed at some record | mean step-0 risk | warned | healthy | healthy warned"]
    for key in sorted(cells):
        c = cells[key]
        lines.append(" ".join(str(k) for k in key) + f" | {len(c)} | {sum(e for _, e, _, _ in c)} | {sum(r for r, *_ in c) / len(c):.2f} | "
                     f"{sum(w for _, _, w, _ in c)} | {sum(h for *_, h in c)} | {sum(h and w for _, _, w, h in c)}")
    lines.append("")
    lines.append("step-0 risk band | runs | collapsed at some record")
    bands = [0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0]
    for lo, hi in zip(bands, bands[1:]):
        inside = [e for r, e in runs if lo <= r < hi or (hi == 1.0 and r == 1.0)]
        if inside:
            lines.append(f"{lo:.1f}–{hi:.1f} | {len(inside)} | {sum(inside)} ({sum(inside) / len(inside):.2f})")
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if a.out:
        open(a.out, "w").write(text)


if __name__ == "__main__":
    main()
