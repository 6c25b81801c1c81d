#!/usr/bin/env python3
"""Fits the step-0 collapse risk on calibration sweeps and measures it on held-out ones.

Each sweep is a pair: the sweep's result.json (`isomine run SWEEP --out DIR`, for each run's
`first_collapse_step`, dated at the signal stride, and final verdict) and the JSON lines of
`isomine risk SWEEP` (each run's step-0 features). A run is *collapsed* when it has a
first_collapse_step, *healthy* when it ended healthy and never collapsed.

    python3 fit_risk.py --calibration RESULT.json RISK.jsonl [...] --heldout RESULT.json RISK.jsonl [...] [--out FIT.json]

Prints, and writes with --out: the fitted coefficients of the risk (logistic regression on
log mechanism_ratio, log B/n, gap/spread, log learning_rate) and of the baseline (log B/n and log
learning_rate only), each model's AUC for "collapses at some point" on the calibration and on each
held-out sweep, the single features' AUCs, the warning threshold chosen on calibration (the lowest
risk whose false-alarm rate there is at most 0.1) and, per sweep, the step-0 warning's detection
and false alarms. numpy only.
"""
import argparse
import json
import math

import numpy as np

FEATURES = ["log_ratio", "log_b_over_n", "gap_over_spread", "log_lr"]
BASELINE = ["log_b_over_n", "log_lr"]


def features_row(f, *, params, collapse_step, healthy):
    """One run as the fit reads it: collapsed or healthy, and the model's features from `isomine risk`'s
    (or a train result's `collapse_risk`) step-0 features."""
    return {
        "params": params,
        "collapsed": collapse_step is not None,
        "healthy": healthy,
        "collapse_step": collapse_step,
        "log_ratio": math.log(min(max(f["mechanism_ratio"], 1e-3), 1e3)),
        "log_b_over_n": math.log(f["batch_over_dimension"]),
        "gap_over_spread": f["gap_over_spread"],
        "log_lr": math.log(f["learning_rate"]),
    }


def load(result_path, risk_path):
    result = json.load(open(result_path))
    features = {}
    for line in open(risk_path):
        o = json.loads(line)
        features[o["index"]] = o["features"]
    return rows_of(result["runs"], features)


def rows_of(runs, features):
    """The succeeded runs (a sweep result's `runs`) that have step-0 features (by index), as the fit reads them."""
    rows = []
    for run in runs:
        if run["state"] != "succeeded" or run["index"] not in features:
            continue
        rows.append(features_row(features[run["index"]], params=run["params"], collapse_step=run.get("first_collapse_step"),
                                 healthy=run.get("verdict") == "healthy" and run.get("first_collapse_step") is None))
    return rows


def matrix(rows, names):
    return np.array([[1.0] + [r[n] for n in names] for r in rows])


def fit(rows, names, l2=1e-2, weights=None):
    """Logistic regression by Newton's method with a small ridge (not on the intercept), each row
    weighing `weights[i]` (1 when None)."""
    x = matrix(rows, names)
    y = np.array([1.0 if r["collapsed"] else 0.0 for r in rows])
    s = np.ones(len(rows)) if weights is None else np.asarray(weights)
    w = np.zeros(x.shape[1])
    ridge = l2 * np.eye(x.shape[1])
    ridge[0, 0] = 0
    for _ in range(200):
        p = 1 / (1 + np.exp(-x @ w))
        grad = x.T @ (s * (p - y)) + ridge @ w
        hess = x.T @ (x * (s * p * (1 - p))[:, None]) + ridge
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.max(np.abs(step)) < 1e-10:
            break
    return w


def predict(rows, names, w):
    return 1 / (1 + np.exp(-matrix(rows, names) @ w))


def auc(scores, rows):
    pos = [s for s, r in zip(scores, rows) if r["collapsed"]]
    neg = [s for s, r in zip(scores, rows) if not r["collapsed"]]
    if not pos or not neg:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return float(wins) / (len(pos) * len(neg))


def warning(scores, rows, threshold):
    collapsed = [s for s, r in zip(scores, rows) if r["collapsed"]]
    healthy = [s for s, r in zip(scores, rows) if r["healthy"]]
    detected = int(sum(s >= threshold for s in collapsed))
    alarms = int(sum(s >= threshold for s in healthy))
    return {
        "collapsed_runs": len(collapsed), "warned_before_collapse": detected,
        "detection_rate": detected / len(collapsed) if collapsed else None,
        "healthy_runs": len(healthy), "false_alarms": alarms,
        "false_alarm_rate": alarms / len(healthy) if healthy else None,
    }


def report(name, rows, w, b):
    risk, base = predict(rows, FEATURES, w), predict(rows, BASELINE, b)
    out = {"sweep": name, "runs": len(rows), "collapsed": sum(r["collapsed"] for r in rows),
           "auc_risk": auc(risk, rows), "auc_baseline": auc(base, rows)}
    for f in FEATURES:
        sign = -1 if f in ("log_ratio", "gap_over_spread") else 1
        out["auc_" + f] = auc([sign * r[f] for r in rows], rows)
    return out, risk


def sweep_arguments():
    """--calibration PATH ..., --heldout PATH ... and --out FILE: the command line of the scripts here."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--calibration", nargs="+", required=True)
    ap.add_argument("--heldout", nargs="*", default=[])
    ap.add_argument("--out")
    return ap.parse_args()


def main():
    a = sweep_arguments()
    pairs = lambda v: [(v[i], v[i + 1]) for i in range(0, len(v), 2)]
    calibration = [r for res, risk in pairs(a.calibration) for r in load(res, risk)]
    w, b = fit(calibration, FEATURES), fit(calibration, BASELINE)
    cal, cal_risk = report("calibration", calibration, w, b)
    healthy = sorted(s for s, r in zip(cal_risk, calibration) if r["healthy"])
    # The lowest threshold whose calibration false-alarm rate is at most 0.1.
    allowed = int(math.floor(0.1 * len(healthy)))
    threshold = float(healthy[len(healthy) - allowed - 1]) + 1e-9 if healthy else 0.5
    cal["warning"] = warning(cal_risk, calibration, threshold)
    results = {"features": FEATURES, "coefficients": dict(zip(["intercept"] + FEATURES, w.tolist())),
               "baseline_features": BASELINE, "baseline_coefficients": dict(zip(["intercept"] + BASELINE, b.tolist())),
               "threshold": threshold, "calibration": cal, "heldout": []}
    for res, risk in pairs(a.heldout):
        rows = load(res, risk)
        out, scores = report(res, rows, w, b)
        out["warning"] = warning(scores, rows, threshold)
        results["heldout"].append(out)
    print(json.dumps(results, indent=2))
    if a.out:
        json.dump(results, open(a.out, "w"), indent=2)


if __name__ == "__main__":
    main()
