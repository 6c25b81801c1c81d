"""The monitor on a generated training run (numpy only, no torch): what a user's loop sends, in a few
seconds. The demo (deploy/demo.sh) runs it; a worker then judges the series.

    python3 clients/python/examples/monitor_generated.py "$DATABASE_URL" demo-monitored-run [collapsing|healthy]

collapsing: 2-D embeddings of batches of 10 classes × 32 (B/n = 160) at learning rate 0.2, with no class
    structure at initialisation, shrinking toward one point step by step: the step-0 risk warns.
healthy: 32-D embeddings of 8 classes × 4 at learning rate 0.001, separated classes that stay so.
Each run also submits two checkpoints of its evaluation set (untrained at step 0, and at the end).
"""
import sys

import numpy as np

import isomine

dsn, series = sys.argv[1], sys.argv[2]
kind = sys.argv[3] if len(sys.argv) > 3 else "collapsing"
rng = np.random.default_rng(0)
classes, per_class, dim, lr = (10, 32, 2, 0.2) if kind == "collapsing" else (8, 4, 32, 0.001)
labels = np.repeat(np.arange(classes), per_class)
centres = rng.normal(size=(classes, dim)) * 3.0
monitor = isomine.Monitor(dsn, series, margin=0.2, learning_rate=lr, optimizer="adam",
                          classes_per_batch=classes, samples_per_class=per_class, embedding_dim=dim)
steps = 200
for step in range(steps + 1):
    if kind == "collapsing":
        batch = rng.normal(size=(len(labels), dim)) * np.exp(-step / 20.0) + 1.0
    else:
        batch = centres[labels] * (1.0 + step / steps) + 0.5 * rng.normal(size=(len(labels), dim))
    monitor.observe(step, batch, labels)
    if step in (0, steps):
        # The evaluation set's embeddings at this step: 8 classes × 25 points in 16 dimensions.
        y = np.repeat(np.arange(8), 25)
        scale = 1.0 if step == 0 or kind == "healthy" else 1e-5
        points = (rng.normal(size=(8, 16))[y] * 4.0 + (1.0 if step == 0 or kind == "healthy" else 2.5) * rng.normal(size=(len(y), 16))) * scale
        isomine.submit(dsn, series, step, points, y, margin=0.2, probe_size=200, untrained=step == 0)
left = monitor.close(timeout=30)
print(f"{series}: {steps + 1} batches observed, {steps + 1 - left} signal rows stored; a worker judges them "
      f"(isomine series show {series})")
