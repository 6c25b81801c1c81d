"""Submits, through the Python client, two series of one "run" each — an untrained step 0 at chance
(2-D embeddings, classes mixed), a healthy step 1, a collapsed step 2 — one with the step-0 checkpoint
flagged untrained=True (as the client's example does), one relying on the baseline rule alone. Prints
the job ids as JSON: {series: [ids]}.

    python3 submit_untrained_series.py DSN
"""
import json
import sys

import numpy as np

import isomine_client as isomine

dsn = sys.argv[1]
rng = np.random.default_rng(11)
classes, per_class, dim = 6, 20, 2
labels = np.repeat(np.arange(classes), per_class)
centres = rng.normal(size=(classes, dim)) * 6.0
out = {}
for name, flag in (("untrained-flag", True), ("untrained-baseline", False)):
    ids = []
    # Step 0: an untrained network's output, the classes mixed (retrieval at chance).
    chance = rng.normal(size=(len(labels), dim)).astype(np.float32)
    options = {"untrained": True} if flag else {}
    ids.append(isomine.submit(dsn, name, 0, chance, labels, margin=0.2, name=f"{name} epoch 0", **options))
    # Step 1: trained, classes apart. Step 2: every distance far inside the margin, the classes still
    # mostly retrievable but overlapping a little (not triplet-separated).
    for step, scale, noise in ((1, 1.0, 0.3), (2, 1e-4, 1.2)):
        points = centres[labels] + noise * rng.normal(size=(len(labels), dim))
        ids.append(isomine.submit(dsn, name, step, (points * scale).astype(np.float32), labels, margin=0.2, name=f"{name} epoch {step}"))
    out[name] = ids
print(json.dumps(out))
