#!/usr/bin/env python3
"""Would a per-step clause that projects the batch's distances forward warn before the collapses the
batch-distance clause only detects? (issue 22, later)

The clause: at a record of a training run, with at least 90 % of triplets active, the batch's mean
pairwise distance L is still at or above 0.25 α but falling, and L × exp(r · H) < 0.25 α, where r is
the per-step log-rate of L over the last `k` records (ending at this one) and H a horizon in steps.

Procedure, fixed before any held-out output was read: replay the shipped per-step rule (gap clause,
batch-distance clause) and the step-0 risk on each run's `step_signals.json` and `result.json` of an
`isomine run SWEEP --out DIR` folder, and check that it gives every run's recorded first warning step
(the replay is the rule). Then, on the calibration sweeps only (digits and blobs), for k in {1, 2, 3, 4}
and H in {2, 4, 8} steps, add the clause; choose the setting that detects the most collapsed runs
before their collapse while adding false alarms (healthy runs warned by the clause alone) on at most
2 % of the calibration's healthy runs (ties: the smaller H, then the larger k). If none adds a
detection, there is no clause. Only then measure the chosen setting on the other sweeps.

    python3 trend_clause.py --calibration OUT_DIGITS OUT_BLOBS --heldout OUT ... [--out FILE]

As run for data/trend.json: each OUT is `isomine run data/NAME-sweep.json --out OUT` at the commit that
adopted `RiskModel.calibratedWithFirstStep` (before the clause was in the rule) for calibration-digits,
calibration-blobs, heldout-digits, heldout-rings, fresh-warped and fresh-mixture (the generated sets with
ISOMINE_DATA_ROOT at make_rings.py's, make_warped.py's and make_mixture.py's folders); the folders, with
every run's step_signals.json, are not committed (regenerate them so). The chosen setting is
`WarningRule.trendRecords` and `WarningRule.trendHorizon`; this replay of the clause and
../monitor-pml/summarize.py's are copies of the rule kept in step with it.
"""
import glob
import json
import math
import os

from fit_risk import sweep_arguments

ACTIVE, SPREAD_BELOW, GAP_BELOW, DIST_BELOW = 0.9, 0.08, -0.8, 0.25


def margin_distance(spec):
    """α in the batch's distance units: √α for a loss on squared distances (TripletLossConfig.marginDistance)."""
    loss = spec.get("loss", {})
    m = loss.get("margin", 0.2)
    return math.sqrt(m) if loss.get("distance") == "squared" else m


def shipped_fires(s, margin):
    gap = s["batch_spread_ratio"] < SPREAD_BELOW and s["active_fraction"] >= ACTIVE and (
        s["batch_spread"] == 0 or s["gap"] / s["batch_spread"] < GAP_BELOW)
    dist = margin > 0 and s["active_fraction"] >= ACTIVE and s["batch_spread"] < DIST_BELOW * margin
    return gap or dist


def trend_fires(rows, i, margin, k, horizon):
    s = rows[i]
    if i - k < 1 or margin <= 0 or s["active_fraction"] < ACTIVE:
        return False
    then = rows[i - k]
    level, before = s["batch_spread"], then["batch_spread"]
    if level < DIST_BELOW * margin or before <= 0 or level <= 0 or level >= before:
        return False
    rate = math.log(level / before) / (s["step"] - then["step"])
    return level * math.exp(rate * horizon) < DIST_BELOW * margin


def runs(folder):
    out = []
    for path in sorted(glob.glob(os.path.join(folder, "runs", "*", "result.json"))):
        r = json.load(open(path))
        sig_path = os.path.join(os.path.dirname(path), "artifacts", "step_signals.json")
        if not os.path.exists(sig_path) or r.get("verdict") is None:
            continue
        rows = json.load(open(sig_path))
        risk = r.get("collapse_risk")
        out.append({"rows": rows, "margin": margin_distance(r["spec"]), "collapse": r.get("first_collapse_step"),
                    "healthy": r.get("verdict") == "healthy" and r.get("first_collapse_step") is None,
                    "step0": bool(risk and risk["risk"] >= risk["threshold"]),
                    "risk": (risk or {}).get("risk", 0.0), "threshold": (risk or {}).get("threshold", 1.0),
                    "recorded": (r.get("warning") or {}).get("step")})
    return out


def first_warning(run, k=None, horizon=None):
    """(step, by the trend clause alone?) of the first warning, or (None, False)."""
    if run["step0"]:
        return 0, False
    rows = run["rows"]
    for i, s in enumerate(rows):
        if s["step"] == 0:
            continue
        if shipped_fires(s, run["margin"]):
            return s["step"], False
        if k is not None and trend_fires(rows, i, run["margin"], k, horizon):
            return s["step"], True
    return None, False


def tally(rs, warn):
    """The warning `warn(run)` -> (step or None, tag) over runs `rs`: the collapsed and healthy runs, the
    tags of collapsed runs warned strictly before their collapse and of healthy runs warned, and the
    median lead of the former."""
    collapsed = [r for r in rs if r["collapse"] is not None]
    healthy = [r for r in rs if r["healthy"]]
    hits, leads, alarms = [], [], []
    for r in collapsed:
        w, tag = warn(r)
        if w is not None and w < r["collapse"]:
            hits.append(tag)
            leads.append(r["collapse"] - w)
    for r in healthy:
        w, tag = warn(r)
        if w is not None:
            alarms.append(tag)
    leads.sort()
    return {"collapsed": len(collapsed), "healthy": len(healthy), "hits": hits, "alarms": alarms,
            "median_lead": leads[len(leads) // 2] if leads else None}


def measure(rs, k=None, horizon=None):
    t = tally(rs, lambda r: first_warning(r, k, horizon))
    return {"collapsed": t["collapsed"], "detected": len(t["hits"]), "healthy": t["healthy"], "false_alarms": len(t["alarms"]),
            "by_trend_detected": sum(t["hits"]), "by_trend_alarms": sum(t["alarms"]), "median_lead": t["median_lead"]}


def main():
    a = sweep_arguments()
    sets = {os.path.basename(os.path.normpath(d)): runs(d) for d in a.calibration + a.heldout}
    mismatches = {name: sum(1 for r in rs if first_warning(r)[0] != r["recorded"]) for name, rs in sets.items()}
    calibration = [r for d in a.calibration for r in sets[os.path.basename(os.path.normpath(d))]]
    healthy = sum(r["healthy"] for r in calibration)
    grid = []
    for horizon in (2, 4, 8):
        for k in (4, 3, 2, 1):
            m = measure(calibration, k, horizon)
            grid.append({"k": k, "horizon": horizon, **m})
    base = measure(calibration)
    allowed = [g for g in grid if g["by_trend_alarms"] <= 0.02 * healthy and g["detected"] > base["detected"]]
    chosen = max(allowed, key=lambda g: (g["detected"], -g["horizon"], g["k"])) if allowed else None
    out = {"replay_mismatches": mismatches, "calibration_shipped": base, "calibration_grid": grid, "chosen": chosen and {"k": chosen["k"], "horizon": chosen["horizon"]},
           "sets": {}}
    for name, rs in sets.items():
        out["sets"][name] = {"shipped": measure(rs), "with_clause": measure(rs, chosen["k"], chosen["horizon"]) if chosen else None}
    print(json.dumps(out, indent=1))
    if a.out:
        json.dump(out, open(a.out, "w"), indent=1)


if __name__ == "__main__":
    main()
