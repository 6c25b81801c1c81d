"""Feeds a generated training run's batches to the Python monitor (isomine.Monitor), as a user's loop
would, with checkpoints of the run submitted as steps of the same series; numpy only.

    python3 monitor_run.py DSN SERIES collapsing|healthy|shrinking

collapsing: 2-D embeddings, P = 10 classes × K = 32 (B/n = 160), learning rate 0.2: the untrained batches
    carry no class structure and shrink toward one point (spread × e^(−t/20)); checkpoints at steps 0
    (untrained), 150 and 300 (collapsed: every distance far inside the margin, classes overlapping).
healthy: 32-D, P = 8 × K = 4 (B/n = 1), learning rate 0.001: separated classes that stay so; no checkpoints.
shrinking: 16-D, P = 8 × K = 4, learning rate 0.001: separated classes (the ranking is kept at every step)
    whose distances shrink (× e^(−t/15)) until they are far inside the margin: the collapse the step-0
    risk and the per-step gap cannot see; checkpoints at steps 0 (untrained) and 150 (collapsed).

Prints one JSON line once every row is stored ({"stored", "observed"}), then waits for the workers'
evaluation and prints {"synced", "warning", "risk", "callbacks"}.
"""
import json
import sys
import time

import numpy as np

import isomine

dsn, name, kind = sys.argv[1], sys.argv[2], sys.argv[3]
rng = np.random.default_rng({"collapsing": 11, "healthy": 12}.get(kind, 13))
calls = []
if kind == "collapsing":
    classes, per_class, dim, lr, steps = 10, 32, 2, 0.2, 300
elif kind == "healthy":
    classes, per_class, dim, lr, steps = 8, 4, 32, 0.001, 300
else:
    classes, per_class, dim, lr, steps = 8, 4, 16, 0.001, 150
monitor = isomine.Monitor(dsn, name, margin=0.2, learning_rate=lr, optimizer="adam", classes_per_batch=classes,
                          samples_per_class=per_class, embedding_dim=dim, flush_seconds=0.2, on_warning=calls.append)
labels = np.repeat(np.arange(classes), per_class)
centres = rng.normal(size=(classes, dim)) * 3.0
for step in range(steps + 1):
    if kind == "collapsing":
        batch = rng.normal(size=(len(labels), dim)) * np.exp(-step / 20.0) + 1.0
    elif kind == "healthy":
        batch = centres[labels] * (1.0 + step / steps) + 0.5 * rng.normal(size=(len(labels), dim))
    else:
        batch = (centres[labels] + 0.3 * rng.normal(size=(len(labels), dim))) * np.exp(-step / 15.0) + 1.0
    monitor.observe(step, batch.astype(np.float32), labels)
    if kind != "healthy" and step in (0, 150, 300):
        # The run's checkpoint: 200 evaluation points (the untrained network's, then collapsed).
        y = np.repeat(np.arange(8), 25)
        c = rng.normal(size=(8, 16)) * 4.0
        scale, noise = (1.0, 1.0) if step == 0 else (1e-5, 2.5)
        points = (c[y] + noise * rng.normal(size=(len(y), 16))) * scale + 3.0
        isomine.submit(dsn, name, step, points.astype(np.float32), y, probe_size=200, margin=0.2, untrained=step == 0)
# Every row stored before any worker needs to run (the workers may be down).
deadline = time.monotonic() + 60
while monitor.pending and time.monotonic() < deadline:
    time.sleep(0.05)
print(json.dumps({"stored": monitor.pending == 0, "observed": steps + 1}), flush=True)
synced = monitor.sync(timeout=240)
print(json.dumps({"synced": synced, "warning": monitor.warning, "risk": monitor.risk, "callbacks": len(calls)}), flush=True)
monitor.close()
