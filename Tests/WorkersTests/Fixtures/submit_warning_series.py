"""Submits two generated series through the Python client and prints their job ids as JSON
{"warn-run": [...], "tight-run": [...]}.

warn-run: four checkpoints in R^3 — healthy; half the spread, classes intact; 0.17 of the spread with
the classes pulled together (negatives closer than positives, retrieval still above chance: the
collapse warning, not yet a collapse); then all but one point (collapsed).
tight-run: healthy, then 0.07 of the spread with the classes intact (a healthy tightening: no warning).

    python3 submit_warning_series.py DSN
"""
import json
import sys

import numpy as np

import isomine_client as isomine

dsn = sys.argv[1]
rng = np.random.default_rng(11)
classes, per_class, dim = 8, 25, 3
labels = np.repeat(np.arange(classes), per_class)
centres = rng.normal(size=(classes, dim)) * 4.0
ids = {}
for name, steps in [("warn-run", [(1.0, 1.0), (0.5, 1.0), (0.17, 0.3), (1e-4, 0.3)]), ("tight-run", [(1.0, 1.0), (0.07, 1.0)])]:
    ids[name] = []
    # (scale of the whole cloud, scale of the class centres) per checkpoint.
    for step, (scale, separation) in enumerate(steps):
        points = centres[labels] * separation + rng.normal(size=(len(labels), dim))
        embeddings = (points * scale + 3.0).astype(np.float32)
        ids[name].append(isomine.submit(dsn, name, step, embeddings, labels, probe_size=200, name=f"{name} epoch {step}"))
print(json.dumps(ids))
