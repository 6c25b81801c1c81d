"""Summarises run_monitor_pml.py's output: per configuration and overall, the collapsed runs (a
checkpoint after step 0 judged collapsed) the monitor warned before their first collapsed checkpoint,
by which source (the step-0 risk or the per-step rule), the never-collapsed runs it warned (false
alarms), and the step-0 risk's AUC for "collapses". numpy-free.

    python3 summarize.py data/runs.jsonl [more.jsonl ...] [--json data/summary.json] [--replay DSN]

--replay DSN reads each run's stored signal rows and monitor settings from the database the runs
were made against (psycopg2) and, per run, (a) dates the collapse in the batch: the first row whose
batch mean pairwise distance is under the verdict's 0.25 α with ≥ 90 % of triplets active (the
per-step rule's batch-distance clause, `WarningRule.batchDistanceBelow`); (b) replays the current
per-step rule (`Sources/CollapseSignals/CollapseWarning.swift`: the gap clause, the batch-distance
clause or the trend clause) on those rows, with the step-0 risk's warning at step 0 as recorded. Runs
made before a clause existed are judged by the replay; for runs the daemon judged with the current rule,
the replay must give the daemon's warning step (`replay_disagreements` lists the runs where they differ:
every run the trend clause warns earlier was judged before it existed).
"""
import json
import math
import os
import sys


def auc(pos, neg):
    if not pos or not neg:
        return None
    return sum((p > n) + 0.5 * (p == n) for p in pos for n in neg) / (len(pos) * len(neg))


paths = [a for a in sys.argv[1:] if a.endswith(".jsonl")]
# The baseline of the collapse-risk experiment (log B/n and log learning rate, fitted on its calibration sweeps).
fit = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "collapse-risk", "fit.json")))


def baseline(r):
    c = fit["baseline_coefficients"]
    return c["intercept"] + c["log_b_over_n"] * math.log(r["features"]["batch_over_dimension"]) + c["log_lr"] * math.log(r["learning_rate"])


runs = [json.loads(line) for path in paths for line in open(path)]


def replay(dsn):
    """Adds batch_collapse_step, replayed_warning_step and daemon_warning_step to every run (see the docstring)."""
    import psycopg2
    conn = psycopg2.connect(dsn)
    cur = conn.cursor()
    for r in runs:
        cur.execute("SELECT monitor, warning FROM isomine.series WHERE name = %s", (r["series"],))
        monitor, warning = cur.fetchone()
        margin = monitor["margin"]
        cur.execute("SELECT step, signals FROM isomine.series_signals WHERE series = %s ORDER BY step", (r["series"],))
        rows = cur.fetchall()
        reference = rows[0][1]["batch_spread"] if rows else 0

        def gap_clause(s):  # WarningRule.fires: spread ratio < 0.08, gap/spread < -0.8, active >= 0.9
            ratio = s["batch_spread"] / reference if reference > 0 else 0
            return s["active_fraction"] >= 0.9 and ratio < 0.08 and (s["batch_spread"] == 0 or s["gap"] / s["batch_spread"] < -0.8)

        def batch_clause(s):
            return s["active_fraction"] >= 0.9 and s["batch_spread"] < 0.25 * margin

        def trend_clause(i):  # WarningRule.distancesHeadingUnder: 4 records back, 2 steps ahead
            st, s = rows[i]
            if i - 4 < 0 or rows[i - 4][0] <= 0 or margin <= 0 or s["active_fraction"] < 0.9:
                return False
            t0, b = rows[i - 4]
            level, before, line = s["batch_spread"], b["batch_spread"], 0.25 * margin
            if level < line or level <= 0 or level >= before or st <= t0:
                return False
            return level * math.exp(math.log(level / before) / (st - t0) * 2) < line

        r["margin"] = margin
        r["batch_collapse_step"] = next((st for st, s in rows if st > 0 and batch_clause(s)), None)
        fired = next((st for i, (st, s) in enumerate(rows) if st > 0 and (gap_clause(s) or batch_clause(s) or trend_clause(i))), None)
        r["replayed_warning_step"] = 0 if r["risk"] is not None and r["risk"] >= r["threshold"] else fired
        r["daemon_warning_step"] = warning["step"] if warning else None
    conn.close()


replayed = "--replay" in sys.argv
if replayed:
    replay(sys.argv[sys.argv.index("--replay") + 1])
    for r in runs:
        r["recorded_warning_step"], r["warning_step"] = r["warning_step"], r["replayed_warning_step"]
        if r["warning_step"] is not None and r["warning_step"] != r["recorded_warning_step"]:
            r["warning_source"] = "risk" if r["warning_step"] == 0 else "signals"
collapsed = [r for r in runs if r["first_collapsed_step"] is not None]
healthy = [r for r in runs if r["first_collapsed_step"] is None]
before = [r for r in collapsed if r["warning_step"] is not None and r["warning_step"] < r["first_collapsed_step"]]
summary = {
    "runs": len(runs), "collapsed": len(collapsed), "warned_before_first_collapsed_checkpoint": len(before),
    "by_risk": sum(r["warning_source"] == "risk" for r in before), "by_signals": sum(r["warning_source"] == "signals" for r in before),
    "never_collapsed": len(healthy), "false_alarms": sum(r["warning_step"] is not None for r in healthy),
    "risk_auc": auc([r["risk"] for r in collapsed], [r["risk"] for r in healthy]),
    "baseline_auc": auc([baseline(r) for r in collapsed], [baseline(r) for r in healthy]),
    "mechanism_ratio_auc": auc([-r["features"]["mechanism_ratio"] for r in collapsed], [-r["features"]["mechanism_ratio"] for r in healthy]),
    "missed": [r["series"] for r in collapsed if r not in before],
}
if replayed:
    predictive = [r for r in before if r["batch_collapse_step"] is None or r["warning_step"] < r["batch_collapse_step"]]
    leads = sorted(r["first_collapsed_step"] - r["warning_step"] for r in before)
    summary.update({
        "replayed": True,
        # Warned strictly before the batch itself met the verdict's distance criterion (or it never did):
        # the warnings that predict rather than detect in the batch.
        "warned_before_batch_collapse": len(predictive),
        "median_lead_to_checkpoint_steps": leads[len(leads) // 2] if leads else None,
        # Runs whose warning step in the database differs from the replay's: none for runs the daemon
        # judged with the current rule; for older runs, those the batch-distance clause now warns earlier.
        "replay_disagreements": [r["series"] for r in runs if r["daemon_warning_step"] != r["warning_step"]],
    })
print("| n | P × K | optimizer, lr | runs | collapsed | warned before the first collapsed checkpoint (risk / rule) | false alarms | step-0 risk |")
print("|---|---|---|---|---|---|---|---|")
key = lambda r: (r["optimizer"], r["embedding_dim"], r["classes_per_batch"], r["samples_per_class"], r["learning_rate"])
for opt, n, p, k, lr in sorted({key(r) for r in runs}):
    group = [r for r in runs if key(r) == (opt, n, p, k, lr)]
    c = [r for r in group if r["first_collapsed_step"] is not None]
    b = [r for r in c if r["warning_step"] is not None and r["warning_step"] < r["first_collapsed_step"]]
    fa = sum(r["warning_step"] is not None for r in group if r["first_collapsed_step"] is None)
    risks = ", ".join("%.2f" % r["risk"] for r in group)
    print(f"| {n} | {p} × {k} | {opt} {lr:g} | {len(group)} | {len(c)} | {len(b)} ({sum(r['warning_source'] == 'risk' for r in b)} / "
          f"{sum(r['warning_source'] == 'signals' for r in b)}) | {fa} | {risks} |")
print(json.dumps(summary, indent=1))
if "--json" in sys.argv:
    json.dump(summary, open(sys.argv[sys.argv.index("--json") + 1], "w"), indent=1)
