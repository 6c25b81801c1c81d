"""One JSON line per run of an `isomine run` sweep's output folder: the run's miner, n, K, seed, the step
its fixed probe first read collapsed (`first_collapse_step`, dated at every signal record), its final
verdict, the warning's step and first reason code, and the step-0 risk (with whether it warned, when
the result says).

    python3 records.py OUT_DIR [OUT_DIR ...] > data/records-LABEL.jsonl
"""
import glob
import json
import os
import sys

for folder in sys.argv[1:]:
    for path in sorted(glob.glob(os.path.join(folder, "runs", "*", "result.json"))):
        r = json.load(open(path))
        spec, warning, risk = r["spec"], r.get("warning") or {}, r.get("collapse_risk") or {}
        print(json.dumps({
            "miner": spec["miner"], "n": spec["model"]["embedding_dim"], "K": spec["sampler"]["samples_per_class"],
            "seed": spec.get("seed", 0), "first_collapse_step": r.get("first_collapse_step"), "verdict": r["verdict"],
            "warning_step": warning.get("step"), "warning_reason": (warning.get("reasons") or [{}])[0].get("code") if warning else None,
            "risk": risk.get("risk"), "risk_warns": risk.get("warns"),
            "closest_probe_spread_over_margin": r.get("closest_probe_spread_over_margin")}))
