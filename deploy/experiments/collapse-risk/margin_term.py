#!/usr/bin/env python3
"""Does the step-0 risk need the margin? A term c · log(α / 0.2) for each of the two risk models
(issue 22, December 2026; `RiskModel.logMargin`).

Seen first: on a fresh digits sweep at α = 0.05 (PML's default) and α = 0.5 (data/fresh-margins-sweep.json,
isomine run at commit 6328ae7, before any margin term), the same configurations got the same step-0 risk
at both margins, as the model has no margin in it, but collapsed very differently: at n = 4, 0 of 12 runs
collapsed at α = 0.05 and 8 of 12 at α = 0.5 (risk 0.40 for all 24); at n = 8, 0 and 5 of 12 (risk 0.01).
The verdict's collapse line is 0.25 α, so a larger margin puts the same network nearer it. All 16 false
alarms of that sweep came from the step-0 risk at α = 0.05 (11) or from α = 0.5's runs near the line.
Every run the models were fitted on trained at α = 0.2 (the first calibration all of them; the train model's
five sweeps too), so neither could have learnt it.

Procedure, fixed before the held-out sweeps were run or read:
1. For each model — the train runs' (`calibratedWithFirstStep`, data/forecast.json's coefficients) and the
   monitored runs' (`calibrated`, fit.json's) — fit one coefficient c by maximum likelihood of "collapses at
   some step" (a run's `first_collapse_step`), with the model's shipped log-odds held as an offset, on the
   calibration folder (the fresh-margins sweep). No other coefficient and no threshold moves, so every
   run at α = 0.2 keeps its risk.
2. Held out: the rings at the same margins (data/fresh-rings-margins-sweep.json, seeds 3-4, its spec
   committed before it ran) and the 784-D digits sweep at α = 0.1 (data/fresh-digits784-sweep.json) run
   again at the same commit. Per folder and pooled, with and without the term: each model's AUC, the B/n +
   learning-rate baseline's (fit.json), and the warning replayed on every run's step_signals.json (the
   shipped per-step rule, trend clause included, as trend_clause.py replays it) with the step-0 warning at
   risk ≥ the model's threshold. The replay of the shipped train model must give every run's recorded
   first warning step (`replay_differences`).
3. Adopt a model's term if, pooled over the held-out folders, its AUC with the term is at least its AUC
   without, and its replayed warning has fewer false alarms with a detection rate of at least 0.9 or at
   least the rate without it.

    python3 margin_term.py --calibration OUT_FRESH_MARGINS --heldout OUT_RINGS_MARGINS OUT_DIGITS784 --out data/margin-term.json

Each OUT is an `isomine run SWEEP --out OUT` folder (ISOMINE_DATA_ROOT at the folder of make_rings.py and
make_digits784.py for the NPY sets); the folders are not committed (each run's step_signals.json is there).
"""
import argparse
import glob
import json
import math
import os

import numpy as np

from fit_risk import FEATURES, auc, features_row
from trend_clause import first_warning, margin_distance, tally

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE_MARGIN = 0.2
TREND = (4, 2.0)  # WarningRule.trendRecords, trendHorizon


def models():
    fit = json.load(open(os.path.join(HERE, "fit.json")))
    forecast = json.load(open(os.path.join(HERE, "data", "forecast.json")))
    return {
        "monitor": (fit["coefficients"], fit["threshold"]),
        "train": (forecast["coefficients"], forecast["threshold"]),
    }, (fit["baseline_coefficients"], fit["baseline_features"])


def log_odds(c, f):
    """A model's shipped log-odds (RiskModel.estimate without the margin term): fit_risk's four features
    and, for the train model, the first step's three (as forecast_fit.py reads them)."""
    row = features_row(f, params=None, collapse_step=None, healthy=None)
    z = c["intercept"]
    for name in FEATURES:
        z += c[name] * row[name]
    if "kappa0" in c:
        step = f["first_step"]
        z += (c["kappa0"] * step["before"]["kappa"] + c["kappa1"] * step["after"]["kappa"]
              + c["log_rho"] * math.log(min(max(step["spread_ratio"], 1e-3), 1e3)))
    return z


def logistic(z):
    return 1 / (1 + math.exp(-z)) if z > -700 else 0.0


def runs(folder):
    out = []
    for path in sorted(glob.glob(os.path.join(folder, "runs", "*", "result.json"))):
        r = json.load(open(path))
        signals = os.path.join(os.path.dirname(path), "artifacts", "step_signals.json")
        if r.get("verdict") is None or not r.get("collapse_risk") or not os.path.exists(signals):
            continue
        out.append({"rows": json.load(open(signals)), "margin": margin_distance(r["spec"]),
                    "collapse": r.get("first_collapse_step"), "collapsed": r.get("first_collapse_step") is not None,
                    "healthy": r.get("verdict") == "healthy" and r.get("first_collapse_step") is None,
                    "features": r["collapse_risk"]["features"], "stored_risk": r["collapse_risk"]["risk"],
                    "recorded": (r.get("warning") or {}).get("step")})
    return out


def sweep_name(folder):
    """The sweep's own name (its spec's `name`), else the folder's."""
    try:
        return json.load(open(os.path.join(folder, "result.json")))["spec"]["name"]
    except (OSError, KeyError, ValueError):
        return os.path.basename(os.path.normpath(folder))


def fit_margin(rs, c):
    """The coefficient of log(α / 0.2) by Newton's method, the model's log-odds an offset."""
    offset = np.array([log_odds(c, r["features"]) for r in rs])
    x = np.array([math.log(r["margin"] / REFERENCE_MARGIN) for r in rs])
    y = np.array([1.0 if r["collapsed"] else 0.0 for r in rs])
    w = 0.0
    for _ in range(100):
        p = 1 / (1 + np.exp(-np.clip(offset + w * x, -700, 700)))
        grad, hess = float(x @ (p - y)), float(x @ (x * p * (1 - p)))
        if hess <= 0:
            break
        step = grad / hess
        w -= step
        if abs(step) < 1e-12:
            break
    return w


def measure(rs, c, threshold, term, baseline):
    risks = [logistic(log_odds(c, r["features"]) + term * math.log(r["margin"] / REFERENCE_MARGIN)) for r in rs]
    for r, risk in zip(rs, risks):
        r["step0"] = risk >= threshold
    t = tally(rs, lambda r: first_warning(r, *TREND))
    bc, bf = baseline
    base = [bc["intercept"] + bc["log_b_over_n"] * math.log(r["features"]["batch_over_dimension"])
            + bc["log_lr"] * math.log(r["features"]["learning_rate"]) for r in rs]
    assert bf == ["log_b_over_n", "log_lr"]
    return {"runs": len(rs), "collapsed": t["collapsed"], "detected": len(t["hits"]),
            "detection_rate": len(t["hits"]) / t["collapsed"] if t["collapsed"] else None,
            "median_lead": t["median_lead"], "healthy": t["healthy"], "false_alarms": len(t["alarms"]),
            "false_alarm_rate": len(t["alarms"]) / t["healthy"] if t["healthy"] else None,
            "warned_at_step_0": sum(r["step0"] for r in rs),
            "auc": auc(risks, rs), "auc_baseline": auc(base, rs)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calibration", nargs="+", required=True)
    ap.add_argument("--heldout", nargs="+", required=True)
    ap.add_argument("--out")
    a = ap.parse_args()
    model, baseline = models()
    calibration = [r for folder in a.calibration for r in runs(folder)]
    heldout = {sweep_name(f): runs(f) for f in a.heldout}

    # The replay is the rule: the shipped train model and per-step rule give every recorded warning step.
    differences = []
    for name, rs in [("calibration", calibration)] + list(heldout.items()):
        c, threshold = model["train"]
        for i, r in enumerate(rs):
            r["step0"] = logistic(log_odds(c, r["features"])) >= threshold
            if abs(logistic(log_odds(c, r["features"])) - r["stored_risk"]) > 1e-9 or first_warning(r, *TREND)[0] != r["recorded"]:
                differences.append({"folder": name, "run": i, "recorded": r["recorded"], "replayed": first_warning(r, *TREND)[0]})

    out = {"replay_differences": differences, "models": {}}
    for name, (c, threshold) in model.items():
        term = fit_margin(calibration, c)
        pooled = [r for rs in heldout.values() for r in rs]
        result = {"log_margin": term, "threshold": threshold,
                  "calibration": {"without": measure(calibration, c, threshold, 0.0, baseline),
                                  "with": measure(calibration, c, threshold, term, baseline)},
                  "heldout": {f: {"without": measure(rs, c, threshold, 0.0, baseline), "with": measure(rs, c, threshold, term, baseline)}
                              for f, rs in list(heldout.items()) + [("pooled", pooled)]}}
        before, after = result["heldout"]["pooled"]["without"], result["heldout"]["pooled"]["with"]
        result["adopted"] = bool(after["auc"] >= before["auc"] and after["false_alarms"] < before["false_alarms"]
                                 and (after["detection_rate"] >= 0.9 or after["detection_rate"] >= before["detection_rate"]))
        out["models"][name] = result
    text = json.dumps(out, indent=1)
    if a.out:
        open(a.out, "w").write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
