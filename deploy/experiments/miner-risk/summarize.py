"""The warning per miner, before and after the step-0 risk warned only for the miners it was fitted on:
for each records file, per miner, the runs whose fixed probe read collapsed at some record and how many
were warned before it (median lead), the runs that ended healthy without collapsing and how many were
warned (false alarms; at step 0, by the risk), and the step-0 risk's AUC for "collapses at some record"
(every run that did not, partial ones included, on the other side). Writes a markdown table.

    python3 summarize.py data/records-before.jsonl data/records-after.jsonl > data/table.md
"""
import collections
import json
import os
import sys

MINERS = ["batch-hard", "easy-positive", "hardest-triplet", "semi-hard", "batch-all", "collapse-aware", "random"]


def auc(pos, neg):
    if not pos or not neg:
        return None
    return sum((p > n) + 0.5 * (p == n) for p in pos for n in neg) / (len(pos) * len(neg))


def cells(path):
    by = collections.defaultdict(list)
    for line in open(path):
        r = json.loads(line)
        by[r["miner"]].append(r)
    out = {}
    for miner, runs in by.items():
        collapsed = [r for r in runs if r["first_collapse_step"] is not None]
        healthy = [r for r in runs if r["first_collapse_step"] is None and r["verdict"] == "healthy"]
        warned = [r for r in collapsed if r["warning_step"] is not None and r["warning_step"] < r["first_collapse_step"]]
        leads = sorted(r["first_collapse_step"] - r["warning_step"] for r in warned)
        alarms = [r for r in healthy if r["warning_step"] is not None]
        a = auc([r["risk"] for r in collapsed], [r["risk"] for r in runs if r["first_collapse_step"] is None])
        out[miner] = {"runs": len(runs), "collapsed": len(collapsed), "warned": len(warned),
                      "lead": leads[len(leads) // 2] if leads else None, "healthy": len(healthy), "alarms": len(alarms),
                      "alarms_at_0": sum(1 for r in alarms if r["warning_step"] == 0), "auc": a}
    return out


tables = [(os.path.basename(p).removeprefix("records-").removesuffix(".jsonl"), cells(p)) for p in sys.argv[1:]]
print("| miner | " + " | ".join(f"{name}: collapsed runs warned before (median lead) | {name}: healthy runs warned (at step 0)" for name, _ in tables) + " | step-0 risk AUC |")
print("|---|" + "---|---|" * len(tables) + "---|")
for miner in MINERS:
    row = [miner]
    for _, t in tables:
        c = t.get(miner)
        if c is None:
            row += ["—", "—"]
            continue
        row.append(f"{c['warned']} of {c['collapsed']}" + (f" ({c['lead']})" if c["lead"] is not None else ""))
        row.append(f"{c['alarms']} of {c['healthy']} ({c['alarms_at_0']})")
    a = tables[0][1].get(miner, {}).get("auc")
    row.append("—" if a is None else f"{a:.2f}")
    print("| " + " | ".join(row) + " |")
