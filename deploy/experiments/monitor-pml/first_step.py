#!/usr/bin/env python3
"""Would a monitored run's risk gain from the first-step terms too? (issue 22, later)

Train runs' step-0 risk now reads the run's first step, taken and undone (RiskModel.calibratedWithFirstStep:
κ of the untrained signal probe, κ after one step, log of the step's spread ratio). isomine cannot step a
user's network, but the monitor's stored step-0 batches are the user's first batches as observed — batch 0
before any update, batch 1 after one (run_monitor_pml.py observes before optimizer.step). So the same
three terms can be read from them: κ (leave-one-out 1-NN within the batch against chance for its class
sizes, as nearestNeighbourPrecision) of batch 0 and of batch 1, and batch 1's mean pairwise distance over
batch 0's. Different batches and a P-class batch instead of the probe, so this measures whether the
train-run model carries over to these stand-ins on real runs, none of which was used to fit it.

Procedure and adoption rule, fixed before the numbers were read: over the real runs of every set here
(pooled), the step-0 warning of the first-step model on these stand-ins (at its own threshold) against
the stored first-calibration risk (at its threshold): detections of runs that collapse (a collapsed
checkpoint) and false alarms on runs that never do. Adopt it for monitors only if it detects at least
as many with no more false alarms; otherwise monitors keep the first calibration.

    python3 first_step.py DSN data/runs*.jsonl [--out data/first-step.json]
"""
import json
import math
import os
import sys

import numpy as np
import psycopg2

here = os.path.dirname(os.path.abspath(__file__))


def npy(blob):
    import io
    return np.load(io.BytesIO(bytes(blob)), allow_pickle=False)


def kappa(x, y):
    d2 = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d2, np.inf)
    counts = {c: int((y == c).sum()) for c in set(y.tolist())}
    q = [i for i in range(len(y)) if counts[int(y[i])] > 1]
    if not q:
        return 0.0
    p = float(np.mean([y[d2[i].argmin()] == y[i] for i in q]))
    chance = float(np.mean([(counts[int(y[i])] - 1) / (len(y) - 1) for i in q]))
    return (p - chance) / (1 - chance) if chance < 1 else 1.0


def spread(x):
    d = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1))
    n = len(x)
    return d.sum() / (n * (n - 1))


def auc(pos, neg):
    if not pos or not neg:
        return None
    return sum((p > n) + 0.5 * (p == n) for p in pos for n in neg) / (len(pos) * len(neg))


def main():
    dsn, files = sys.argv[1], [a for a in sys.argv[2:] if a.endswith(".jsonl")]
    fit = json.load(open(os.path.join(here, "..", "collapse-risk", "data", "forecast.json")))
    c, threshold = fit["coefficients"], fit["threshold"]
    conn = psycopg2.connect(dsn)
    cur = conn.cursor()
    runs = [json.loads(l) for f in files for l in open(f)]
    out = []
    for r in runs:
        cur.execute("""SELECT e.data, l.data, s.monitor FROM isomine.series s JOIN isomine.inputs e ON e.sha256 = s.risk_embeddings
                       JOIN isomine.inputs l ON l.sha256 = s.risk_labels WHERE s.name = %s""", (r["series"],))
        row = cur.fetchone()
        if row is None or r.get("risk") is None:
            continue
        x, y = npy(row[0]).astype(np.float64), npy(row[1]).astype(np.int64)
        b = r["features"]["batch_size"]
        if len(y) < 2 * b:
            continue
        k0, k1 = kappa(x[:b], y[:b]), kappa(x[b:2 * b], y[b:2 * b])
        rho = spread(x[b:2 * b]) / spread(x[:b])
        f = r["features"]
        z = (c["intercept"] + c["log_ratio"] * math.log(min(max(f["mechanism_ratio"], 1e-3), 1e3))
             + c["log_b_over_n"] * math.log(f["batch_over_dimension"]) + c["gap_over_spread"] * f["gap_over_spread"]
             + c["log_lr"] * math.log(f["learning_rate"]) + c["kappa0"] * k0 + c["kappa1"] * k1
             + c["log_rho"] * math.log(min(max(rho, 1e-3), 1e3)))
        out.append({"series": r["series"], "collapsed": r["first_collapsed_step"] is not None, "risk_first": r["risk"],
                    "threshold_first": r["threshold"], "kappa0": k0, "kappa1": k1, "spread_ratio": rho,
                    "risk_first_step": 1 / (1 + math.exp(-z))})
    col = [o for o in out if o["collapsed"]]
    hea = [o for o in out if not o["collapsed"]]
    summary = {
        "runs": len(out), "collapsed": len(col), "never_collapsed": len(hea), "threshold_first_step": threshold,
        "auc_first_calibration": auc([o["risk_first"] for o in col], [o["risk_first"] for o in hea]),
        "auc_first_step": auc([o["risk_first_step"] for o in col], [o["risk_first_step"] for o in hea]),
        "warned_first_calibration": sum(o["risk_first"] >= o["threshold_first"] for o in col),
        "false_alarms_first_calibration": sum(o["risk_first"] >= o["threshold_first"] for o in hea),
        "warned_first_step": sum(o["risk_first_step"] >= threshold for o in col),
        "false_alarms_first_step": sum(o["risk_first_step"] >= threshold for o in hea),
    }
    summary["adopt"] = (summary["warned_first_step"] >= summary["warned_first_calibration"]
                        and summary["false_alarms_first_step"] <= summary["false_alarms_first_calibration"])
    print(json.dumps(summary, indent=1))
    if "--out" in sys.argv:
        json.dump({"summary": summary, "runs": out}, open(sys.argv[sys.argv.index("--out") + 1], "w"), indent=1)


if __name__ == "__main__":
    main()
