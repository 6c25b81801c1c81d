"""Observes a few batches while the database answers every monitor call with a server error that is not
a refusal, then prints {"raised": ..., "pending": N} (the log goes to stderr).

    python3 monitor_server_error.py DSN SERIES
"""
import json
import logging
import sys
import time

import numpy as np

import isomine

logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(message)s")
dsn, series = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(5)
labels = np.repeat(np.arange(4), 4)
raised = None
m = isomine.Monitor(dsn, series, margin=0.2, flush_seconds=0.05, connect_timeout=2)
try:
    for step in range(6):
        m.observe(step, rng.normal(size=(16, 8)), labels)
        time.sleep(0.1)
    time.sleep(1.0)
except Exception as e:  # observe must not raise for this
    raised = f"{type(e).__name__}: {e}"
print(json.dumps({"raised": raised, "pending": m.pending}))
m.close(timeout=0.2)
