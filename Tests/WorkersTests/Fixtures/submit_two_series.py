"""Submits ten checkpoints of each of two generated series through the Python client — every step of
"alpha" first, then every step of "beta" — and prints their job ids as JSON {"alpha": [...], "beta": [...]}.

alpha: healthy steps 0-4; half the spread at 5; 0.17 of the spread with the classes pulled together at 6
(the collapse warning, not yet a collapse); collapsed from step 7 on (0.0001 of the spread).
beta: healthy steps 0-3; collapsed from step 4 on (every distance far inside the margin, the classes
overlapping a little).

    python3 submit_two_series.py DSN
"""
import json
import sys

import numpy as np

import isomine_client as isomine

dsn = sys.argv[1]
rng = np.random.default_rng(23)
classes, per_class, dim = 8, 16, 3
labels = np.repeat(np.arange(classes), per_class)
centres = rng.normal(size=(classes, dim)) * 4.0
# (scale of the whole cloud, scale of the class centres, noise) per checkpoint.
plans = {
    "alpha": [(1.0, 1.0, 1.0)] * 5 + [(0.5, 1.0, 1.0), (0.17, 0.3, 1.0)] + [(1e-4, 0.3, 1.0)] * 3,
    "beta": [(1.0, 1.0, 1.0)] * 4 + [(1e-5, 1.0, 2.5)] * 6,
}
ids = {}
for name, plan in plans.items():
    ids[name] = []
    for step, (scale, separation, noise) in enumerate(plan):
        points = centres[labels] * separation + noise * rng.normal(size=(len(labels), dim))
        embeddings = (points * scale + 3.0).astype(np.float32)
        ids[name].append(isomine.submit(dsn, name, step, embeddings, labels, probe_size=128, name=f"{name} step {step}"))
print(json.dumps(ids))
