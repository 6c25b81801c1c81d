"""Submits a generated series through the Python client (clients/python/isomine_client.py): four
checkpoints of one "run" — healthy, healthy, shrinking (still far above the margin), collapsed (every
distance far inside the margin 0.2, the classes overlapping a little: not triplet-separated) — and prints
the job ids as JSON.

    python3 submit_series.py DSN SERIES
"""
import json
import sys

import numpy as np

import isomine_client as isomine

dsn, name = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(7)
classes, per_class, dim = 8, 25, 16
labels = np.repeat(np.arange(classes), per_class)
centres = rng.normal(size=(classes, dim)) * 4.0
ids = []
# How far each checkpoint's points sit from one common point, relative to a healthy spread.
for step, (scale, noise) in enumerate([(1.0, 1.0), (1.0, 1.0), (0.12, 1.0), (1e-5, 2.5)]):
    points = centres[labels] + noise * rng.normal(size=(len(labels), dim))
    embeddings = (points * scale + 3.0).astype(np.float32)
    ids.append(isomine.submit(dsn, name, step, embeddings, labels, probe_size=200, name=f"{name} epoch {step}"))
print(json.dumps(ids))
