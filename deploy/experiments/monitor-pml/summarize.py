"""Summarises run_monitor_pml.py's output: per configuration and overall, the collapsed runs (a
checkpoint after step 0 judged collapsed) the monitor warned before their first collapsed checkpoint,
by which source (the step-0 risk or the per-step rule), the never-collapsed runs it warned (false
alarms), and the step-0 risk's AUC for "collapses". numpy-free.

    python3 summarize.py data/runs.jsonl [more.jsonl ...] [--json data/summary.json]
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
