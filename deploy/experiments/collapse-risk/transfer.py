#!/usr/bin/env python3
"""Does the step-0 risk's threshold carry over to a dataset it was not fitted on? Leave one set out.

For each set in turn: fit the risk's logistic model (fit_risk.py's features, each remaining set
weighing the same) on all the others, choose the threshold as fit_risk.py does (the lowest risk
that warns at most 10 % of the healthy calibration runs), and measure the left-out set: the AUC
(ranking) and the step-0 warning's detection and false alarms (threshold). Sets: the four isomine
sweeps here (calibration digits/blobs, held-out digits/rings) and the real PyTorch + PML runs of
../monitor-pml (digits Adam, digits SGD, classification20; collapsed = a collapsed checkpoint).

    python3 transfer.py [--json out.json]
"""
import json
import math
import os
import sys

import numpy as np

from fit_risk import FEATURES, auc, features_row, fit, load, matrix

here = os.path.dirname(os.path.abspath(__file__))


def real(path):
    """A ../monitor-pml runs file: collapsed when a checkpoint after step 0 was judged collapsed."""
    rows = []
    for line in open(path):
        o = json.loads(line)
        step = o["first_collapsed_step"]
        rows.append(features_row(o["features"], params=o.get("params", {}), collapse_step=step, healthy=step is None))
    return rows


def main():
    data = os.path.join(here, "data")
    sets = {name: load(os.path.join(data, name + "-runs.json"), os.path.join(data, name + "-risk.jsonl"))
            for name in ["calibration-blobs", "calibration-digits", "heldout-digits", "heldout-rings"]}
    pml = os.path.join(here, "..", "monitor-pml", "data")
    for name, file in [("real-digits-adam", "runs.jsonl"), ("real-digits-sgd", "runs-sgd.jsonl"),
                       ("real-classification20", "runs-classification20.jsonl")]:
        sets[name] = real(os.path.join(pml, file))
    out = []
    for held in sets:
        rows = [r for name, rs in sets.items() if name != held for r in rs]
        weights = np.array([1.0 / len(rs) for name, rs in sets.items() if name != held for r in rs]) * len(rows) / (len(sets) - 1)
        w = fit(rows, FEATURES, weights=weights)
        risk = 1 / (1 + np.exp(-matrix(rows, FEATURES) @ w))
        healthy = sorted(s for s, r in zip(risk, rows) if r["healthy"])
        threshold = healthy[len(healthy) - int(math.floor(0.1 * len(healthy))) - 1] + 1e-9
        test = sets[held]
        scores = 1 / (1 + np.exp(-matrix(test, FEATURES) @ w))
        c = [s for s, r in zip(scores, test) if r["collapsed"]]
        h = [s for s, r in zip(scores, test) if r["healthy"]]
        out.append({"left_out": held, "runs": len(test), "collapsed": len(c), "auc": auc(scores, test),
                    "detection": sum(s >= threshold for s in c) / len(c) if c else None,
                    "false_alarm_rate": sum(s >= threshold for s in h) / len(h) if h else None})
        print(f"{held:24s} runs {len(test):3d} collapsed {len(c):3d}  AUC {out[-1]['auc']:.3f}  detection {out[-1]['detection']:.2f}  "
              f"false alarms {'-' if out[-1]['false_alarm_rate'] is None else '%.2f' % out[-1]['false_alarm_rate']}")
    if "--json" in sys.argv:
        json.dump(out, open(sys.argv[sys.argv.index("--json") + 1], "w"), indent=1)


if __name__ == "__main__":
    main()
