#!/usr/bin/env python3
"""Does the step-0 risk work better as a prior on the per-step rule than as a step-0 alarm alone?
(issue 22, later)

Seen before this script: the first-step model ranks each sweep's runs well (AUC 0.95–1.00) but the
risk at which a sweep's healthy runs start to warn moves between datasets (0.02–0.61), so one step-0
threshold low enough to catch the early collapses of one set warns the healthy runs of another (the
demo's sweep: 7 of 19 healthy n = 3 runs at step-0 risks 0.19–0.80), and the per-step rule's false
alarms come from runs whose step-0 risk is near 0 (fresh mixture: six at risk ≤ 0.007).

The policy replayed here, on each run's `collapse_risk` and `step_signals.json`:
- risk ≥ T_high: warn at step 0;
- after step 0, with risk ≥ T_low: the gap clause and the batch-distance clause as shipped and the
  trend clause (batch_distances_heading_under, k = 4 records) with horizon H_hi steps;
- with risk < T_low: the trend clause with horizon H_lo (0: none), and the gap or batch-distance
  clause must hold at C_lo records in a row. A run the step-0 risk rates as likely to collapse gets
  the earlier, more anticipating clauses; a run it rates as safe must show the collapse itself.

Procedure, fixed before the replays below were read:
- Check: the shipped policy (T_high = the model's threshold, T_low = 0, H_hi = 2) gives every run's
  recorded first warning step (the replay is the rule).
- Grid: T_high in {shipped, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95}, T_low in {0.001, 0.01,
  0.03, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9}, H_hi in {2, 4, 8}, H_lo in {0, 2}, C_lo in {1, 2}.
  (Revised once, on the calibration sweeps and before any other was read: the first grid, T_low ≤ 0.1
  and C_lo = 1, had no setting within 0.1 false alarms on every calibration sweep, because the shipped
  gap and batch-distance clauses alone warn 5 of calibration blobs' 45 healthy runs.)
- Choose on the five sweeps the first-step model was fitted on (calibration digits and blobs, held-out
  digits and rings, warped): among settings with a false-alarm rate of at most 0.1 on every one of
  them, the one with the highest smallest per-sweep detection (warned before the first collapsed
  record), then the highest mean detection, the lowest largest false-alarm rate, the higher T_high, the lower H_hi.
- Measure the chosen setting, and the shipped one, on the sweeps not used: the demo's sweep
  (deploy/examples/sweep-digits.json), the fresh mixture and the fresh 784-D digits
  (make_digits784.py, data/fresh-digits784-sweep.json, made before this script was first run).
- Adoption: the chosen setting replaces the shipped one if, over those three sweeps, its smallest
  detection is at least 0.85 and its largest false-alarm rate is lower than the shipped one's.

    python3 risk_bands.py --calibration OUT ... --heldout OUT ... [--out FILE]

Each OUT is an `isomine run SWEEP --out OUT` folder (commit 51db3ac: the first-step model, the trend
clause), with ISOMINE_DATA_ROOT at the generated data for the npy sweeps. The folders are not committed.
"""
import json
import os

from fit_risk import sweep_arguments
from trend_clause import runs as load, shipped_fires, tally, trend_fires

K = 4
T_HIGH = [None, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95]
T_LOW = [0.001, 0.01, 0.03, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9]
H_HI = [2, 4, 8]
H_LO = [0, 2]
C_LO = [1, 2]
# The shipped policy in these terms: the model's threshold, the trend clause (H = 2) for every run, one record.
SHIPPED = (None, 0.0, 2, 2, 1)


def first_warning(run, t_high, t_low, h_hi, h_lo, c_lo):
    if run["risk"] >= (run["threshold"] if t_high is None else t_high):
        return 0
    elevated = run["risk"] >= t_low
    horizon, records = (h_hi, 1) if elevated else (h_lo, c_lo)
    rows, streak = run["rows"], 0
    for i, s in enumerate(rows):
        if s["step"] == 0:
            continue
        streak = streak + 1 if shipped_fires(s, run["margin"]) else 0
        if streak >= records or (horizon > 0 and trend_fires(rows, i, run["margin"], K, horizon)):
            return s["step"]
    return None


def measure(rs, setting):
    t = tally(rs, lambda r: (first_warning(r, *setting), None))
    detected, alarms = len(t["hits"]), len(t["alarms"])
    return {"collapsed": t["collapsed"], "detected": detected, "detection": detected / max(t["collapsed"], 1),
            "healthy": t["healthy"], "false_alarms": alarms, "false_alarm_rate": alarms / max(t["healthy"], 1),
            "median_lead": t["median_lead"]}


def main():
    a = sweep_arguments()
    name = lambda d: os.path.basename(os.path.normpath(d))
    sets = {name(d): load(d) for d in a.calibration + a.heldout}
    mismatches = {n: sum(1 for r in rs if first_warning(r, *SHIPPED) != r["recorded"]) for n, rs in sets.items()}
    calibration = [name(d) for d in a.calibration]
    grid = []
    for t_high in T_HIGH:
        for t_low in T_LOW:
            for h_hi in H_HI:
                for h_lo in H_LO:
                    for c_lo in C_LO:
                        setting = (t_high, t_low, h_hi, h_lo, c_lo)
                        per = [measure(sets[n], setting) for n in calibration]
                        grid.append({"setting": setting, "min_detection": min(m["detection"] for m in per),
                                     "mean_detection": sum(m["detection"] for m in per) / len(per),
                                     "max_false_alarm_rate": max(m["false_alarm_rate"] for m in per)})
    allowed = [g for g in grid if g["max_false_alarm_rate"] <= 0.1]
    key = lambda g: (g["min_detection"], g["mean_detection"], -g["max_false_alarm_rate"], g["setting"][0] or 0, -g["setting"][2])
    chosen = max(allowed, key=key)["setting"] if allowed else None
    out = {"replay_mismatches": mismatches, "chosen": chosen,
           "top": sorted(allowed, key=key, reverse=True)[:10], "sets": {}}
    for n, rs in sets.items():
        out["sets"][n] = {"calibration": n in calibration, "shipped": measure(rs, SHIPPED),
                          "chosen": measure(rs, chosen) if chosen else None}
    heldout = [n for n in sets if n not in calibration]
    if chosen and heldout:
        c = [out["sets"][n]["chosen"] for n in heldout]
        s = [out["sets"][n]["shipped"] for n in heldout]
        out["adopted"] = (min(m["detection"] for m in c) >= 0.85
                          and max(m["false_alarm_rate"] for m in c) < max(m["false_alarm_rate"] for m in s))
    print(json.dumps(out, indent=1))
    if a.out:
        json.dump(out, open(a.out, "w"), indent=1)


if __name__ == "__main__":
    main()
