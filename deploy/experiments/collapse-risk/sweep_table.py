#!/usr/bin/env python3
"""The warning's figures per sweep as the README's table prints them (issue 22, later): for each
`isomine run SWEEP --out OUT` folder, the collapsed runs warned before their first collapsed record,
the median lead, the healthy runs warned, the step-0 risk's AUC for "collapses at some record" and
the B/n + learning-rate baseline's (fit.json's baseline coefficients on the same runs).

    python3 sweep_table.py OUT ... [--out FILE]

As run for data/sweep-table.md: the eight folders of risk_bands.py.
"""
import argparse
import glob
import json
import math
import os

import numpy as np

from fit_risk import BASELINE, auc
from risk_bands import SHIPPED, measure
from trend_clause import runs as load

here = os.path.dirname(os.path.abspath(__file__))


def aucs(folder):
    b = json.load(open(os.path.join(here, "fit.json")))["baseline_coefficients"]
    risk, base, rows = [], [], []
    for path in sorted(glob.glob(os.path.join(folder, "runs", "*", "result.json"))):
        r = json.load(open(path))
        if r.get("verdict") is None or not r.get("collapse_risk"):
            continue
        f = r["collapse_risk"]["features"]
        rows.append({"collapsed": r.get("first_collapse_step") is not None})
        risk.append(r["collapse_risk"]["risk"])
        x = {"log_b_over_n": math.log(f["batch_over_dimension"]), "log_lr": math.log(f["learning_rate"])}
        base.append(b["intercept"] + sum(b[n] * x[n] for n in BASELINE))
    return auc(risk, rows), auc(base, rows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("folders", nargs="+")
    ap.add_argument("--out")
    a = ap.parse_args()
    lines = ["| sweep | runs | collapsed runs warned before they collapse | median lead (steps) | healthy runs warned | step-0 risk AUC (baseline) |",
             "|---|---|---|---|---|---|"]
    for folder in a.folders:
        m = measure(load(folder), SHIPPED)
        r, b = aucs(folder)
        runs = len(glob.glob(os.path.join(folder, "runs", "*", "result.json")))
        lines.append(f"| {os.path.basename(os.path.normpath(folder))} | {runs} | {m['detected']} of {m['collapsed']} ({m['detection']:.2f}) | "
                     f"{m['median_lead']} | {m['false_alarms']} of {m['healthy']} ({m['false_alarm_rate']:.2f}) | {r:.2f} ({b:.2f}) |")
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if a.out:
        open(a.out, "w").write(text)


if __name__ == "__main__":
    main()
