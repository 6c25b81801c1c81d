#!/usr/bin/env python3
"""The step-0 risk with the run's first step (taken and undone; issue 22, later): does what the run's first
update does to its probe carry the dataset's boundary that the learning rate alone did not?

Procedure, fixed before the fresh set below was swept or read:
- Features: fit_risk.py's four (log mechanism ratio, log B/n, gap/spread, log learning rate) and,
  from `FirstStep` (the signal probe before and after the run's first step, taken and undone):
  kappa0 (the untrained probe's κ: how far the data's classes are from chance for this network at
  initialisation), kappa1 (κ after the first step) and log rho (the first step's spread ratio; an Adam
  step moves every weight by about the learning rate, so how far the embedding moves depends on the
  network and data, not on the learning rate alone).
- Leave one dataset out over the five isomine sweeps made before (calibration digits and blobs, the
  earlier held-out digits and rings, the warped set): fit on four, each weighing the same, threshold
  the lowest risk warning at most 10 % of their healthy runs, measure on the fifth; for the shipped
  four features and for the seven. This measures what transfer.py found failing: the threshold
  carrying over to a dataset it was not set on.
- The model on all five (same weighting and threshold rule) is measured on a fresh sweep
  (make_mixture.py, data/fresh-mixture-sweep.json: other classes per batch, margin, learning rates,
  hidden width), swept through isomine with the shipped model (its runs and step-0 features in
  data/fresh-mixture-runs.json and -risk.jsonl, as for the warped set).
- Adoption rule: the seven-feature model replaces `RiskModel.calibrated` for train runs if on the
  fresh sweep its step-0 warning detects more collapsed runs than the shipped model's with a false
  alarm rate of at most 0.1. Monitored runs (no network to step) keep the shipped model either way.

Each set's first steps (data/fs-NAME.jsonl) are `isomine risk data/NAME-sweep.json --first-step-only` (with
ISOMINE_DATA_ROOT at the generated data for rings, warped and mixture). As run for data/forecast.json:

    python3 forecast_fit.py --fresh data/fresh-mixture-runs.json data/fresh-mixture-risk.jsonl \
        data/fs-fresh-mixture.jsonl --out data/forecast.json
"""
import argparse
import json
import math
import os

import numpy as np

from fit_risk import FEATURES, auc, fit, load, matrix
from refit import scores, warning

here = os.path.dirname(os.path.abspath(__file__))
FORECAST = FEATURES + ["kappa0", "kappa1", "log_rho"]
SETS = ["calibration-blobs", "calibration-digits", "heldout-digits", "heldout-rings", "fresh-warped"]


def with_first_step(rows, path):
    """Adds the first-step features (from `index`-keyed JSON lines) to rows carrying params; rows
    without a first step are dropped."""
    fs = {}
    for line in open(path):
        o = json.loads(line)
        fs[o["index"]] = o["first_step"]
    out = []
    for r in rows:
        f = fs.get(r["index"])
        if f is None:
            continue
        r = dict(r)
        r["kappa0"], r["kappa1"] = f["before"]["kappa"], f["after"]["kappa"]
        r["log_rho"] = math.log(min(max(f["spread_ratio"], 1e-3), 1e3))
        out.append(r)
    return out


def indexed(rows, runs_path):
    """fit_risk.load's rows with each run's index and its first warning step (from the runs file)."""
    runs = [r for r in json.load(open(runs_path))["runs"] if r["state"] == "succeeded"]
    by_params = {json.dumps(r["params"], sort_keys=True): r for r in runs}
    for row in rows:
        run = by_params[json.dumps(row["params"], sort_keys=True)]
        row["index"], row["warning_step"] = run["index"], run.get("first_warning_step")
    return rows


def threshold_for(risk, rows):
    healthy = sorted(s for s, r in zip(risk, rows) if r["healthy"])
    return float(healthy[len(healthy) - int(math.floor(0.1 * len(healthy))) - 1]) + 1e-9


def fitted(sets, names):
    rows = [r for s in sets for r in s]
    weights = np.array([1.0 / len(s) for s in sets for r in s]) * len(rows) / len(sets)
    w = fit(rows, names, weights=weights)
    return w, threshold_for(scores(rows, names, w), rows)


def with_per_step(s, rows, threshold):
    """Detection with the per-step rule as well: a run also counts as warned before its collapse when its
    recorded first warning came after step 0 and before the collapse (a step-0 warning in the record was
    the shipped model's, so the per-step rule's own step is unknown there and is not counted)."""
    c = [(a, r) for a, r in zip(s, rows) if r["collapsed"]]
    hit = sum(1 for a, r in c if a >= threshold or (r["warning_step"] not in (None, 0) and r["warning_step"] < r["collapse_step"]))
    h = [(a, r) for a, r in zip(s, rows) if r["healthy"]]
    alarms = sum(1 for a, r in h if a >= threshold or r["warning_step"] not in (None, 0))
    return {"collapsed": len(c), "warned": hit, "healthy": len(h), "false_alarms": alarms}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fs-dir", default=os.path.join(here, "data"), help="folder of fs-NAME.jsonl first-step lines")
    ap.add_argument("--fresh", nargs=3, metavar=("RUNS.json", "RISK.jsonl", "FIRST_STEP.jsonl"),
                    help="the fresh sweep: its runs and step-0 features (as fit_risk.py reads them) and its first steps")
    ap.add_argument("--out")
    a = ap.parse_args()
    data = os.path.join(here, "data")
    sets = [with_first_step(indexed(load(os.path.join(data, n + "-runs.json"), os.path.join(data, n + "-risk.jsonl")),
                                    os.path.join(data, n + "-runs.json")), os.path.join(a.fs_dir, "fs-" + n + ".jsonl")) for n in SETS]
    out = {"features": FORECAST, "leave_one_dataset_out": []}
    for i, name in enumerate(SETS):
        rest, test = sets[:i] + sets[i + 1:], sets[i]
        entry = {"left_out": name, "runs": len(test), "collapsed": int(sum(r["collapsed"] for r in test))}
        for label, names in [("shipped_features", FEATURES), ("forecast_features", FORECAST)]:
            w, t = fitted(rest, names)
            s = scores(test, names, w)
            entry[label] = {"auc": auc(s, test), "threshold": t, "warning": warning(s, test, t)}
        out["leave_one_dataset_out"].append(entry)
    w, t = fitted(sets, FORECAST)
    out["coefficients"] = dict(zip(["intercept"] + FORECAST, w.tolist()))
    out["threshold"] = t
    rows = [r for s in sets for r in s]
    out["calibration"] = {"runs": len(rows), "auc": auc(scores(rows, FORECAST, w), rows),
                          "warning": warning(scores(rows, FORECAST, w), rows, t)}
    if a.fresh:
        runs, risk, first = a.fresh
        fresh = with_first_step(indexed(load(runs, risk), runs), first)
        shipped = json.load(open(os.path.join(here, "fit.json")))
        w0 = np.array([shipped["coefficients"][k] for k in ["intercept"] + FEATURES])
        new, old = scores(fresh, FORECAST, w), scores(fresh, FEATURES, w0)
        out["fresh"] = {"set": os.path.basename(runs), "runs": len(fresh), "collapsed": int(sum(r["collapsed"] for r in fresh)),
                        "auc_forecast": auc(new, fresh), "auc_shipped": auc(old, fresh),
                        "warning_forecast": warning(new, fresh, t), "warning_shipped": warning(old, fresh, shipped["threshold"]),
                        "with_per_step_forecast": with_per_step(new, fresh, t),
                        "with_per_step_shipped": with_per_step(old, fresh, shipped["threshold"])}
    print(json.dumps(out, indent=1))
    if a.out:
        json.dump(out, open(a.out, "w"), indent=1)


if __name__ == "__main__":
    main()
