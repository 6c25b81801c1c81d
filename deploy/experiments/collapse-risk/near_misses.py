#!/usr/bin/env python3
"""What is a false alarm? (issue 22, later) For every healthy run (healthy verdict, never collapsed) of
each `isomine run SWEEP --out OUT` folder, the closest its fixed signal probe came to the collapse line:
the smallest probe spread over α at a record after step 0 (the label's collapse is under 0.25 α). The
runs the shipped rule warned (replayed: risk_bands.first_warning with the shipped setting) against
those it did not.

    python3 near_misses.py OUT ... [--out FILE]

As run for data/near-misses.json: the eight folders of risk_bands.py.
"""
import argparse
import json
import os

from risk_bands import SHIPPED, first_warning
from trend_clause import runs as load


def closest(run):
    return min(s["probe"]["spread_over_margin"] for s in run["rows"] if s["step"] > 0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("folders", nargs="+")
    ap.add_argument("--out")
    a = ap.parse_args()
    out = {"sets": {}}
    warned, quiet = [], []
    for folder in a.folders:
        rs = [r for r in load(folder) if r["healthy"]]
        w = sorted(round(closest(r), 3) for r in rs if first_warning(r, *SHIPPED) is not None)
        q = sorted(round(closest(r), 3) for r in rs if first_warning(r, *SHIPPED) is None)
        out["sets"][os.path.basename(os.path.normpath(folder))] = {"healthy": len(rs), "false_alarms_closest": w}
        warned += w
        quiet += q
    for name, values in [("false_alarms", warned), ("quiet_healthy", quiet)]:
        out[name] = {"runs": len(values), "within_0.5_alpha": sum(v < 0.5 for v in values),
                     "within_1_alpha": sum(v < 1 for v in values), "largest": max(values) if values else None}
    print(json.dumps(out, indent=1))
    if a.out:
        json.dump(out, open(a.out, "w"), indent=1)


if __name__ == "__main__":
    main()
