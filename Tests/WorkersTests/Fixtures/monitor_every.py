"""A monitor reading every 5th batch (every=5) with the step-0 risk on: the risk's batches are still
the run's first three (the untrained network's and the two after it), not the 1st, 6th and 11th.
A monitor without learning_rate (series SERIES-nolr) sends its first three batches too: they tell
the daemon where the run started, though no risk is computed from them.

    python3 monitor_every.py DSN SERIES

Prints {"expected": the SHA-256 of the NPY of the first three batches as the monitor sends them,
"unsent": rows left unsent at close, "nolr_expected", "nolr_unsent": the same for SERIES-nolr}.
"""
import hashlib
import json
import sys

import numpy as np

import isomine
from isomine.client import npy_bytes

dsn, name = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(8)
labels = np.repeat(np.arange(4), 4)
monitor = isomine.Monitor(dsn, name, margin=0.2, learning_rate=0.01, classes_per_batch=4, samples_per_class=4,
                          every=5, flush_seconds=0.1)
batches = []
for step in range(15):
    batch = rng.normal(size=(16, 8)) + labels[:, None] * (1.0 + step)
    batches.append(batch)
    monitor.observe(step, batch, labels)
expected = hashlib.sha256(npy_bytes(np.concatenate(batches[:3]).astype(np.float32))).hexdigest()
unsent = monitor.close(timeout=30)
plain = isomine.Monitor(dsn, name + "-nolr", margin=0.2, classes_per_batch=4, samples_per_class=4, flush_seconds=0.1)
for step, batch in enumerate(batches):
    plain.observe(step, batch, labels)
print(json.dumps({"expected": expected, "unsent": unsent, "nolr_unsent": plain.close(timeout=30)}))
