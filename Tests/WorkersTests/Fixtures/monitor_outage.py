"""The monitor through a database outage: observes 20 batches and waits until they are stored, prints
"sent"; waits for the file DIR/down (the database is stopped), observes 20 more (kept), prints the
pending count; waits for DIR/up (the database is back) and syncs the rows (no worker: it waits only for
them to be stored), printing {"pending", "errors"}. Never raises from observe.

    python3 monitor_outage.py DSN SERIES DIR
"""
import json
import os
import sys
import time

import numpy as np

import isomine

dsn, name, folder = sys.argv[1], sys.argv[2], sys.argv[3]
rng = np.random.default_rng(5)
labels = np.repeat(np.arange(4), 4)
monitor = isomine.Monitor(dsn, name, margin=0.2, flush_seconds=0.1, connect_timeout=2)
errors = []


def observe(step):
    try:
        monitor.observe(step, rng.normal(size=(16, 8)), labels)
    except Exception as e:  # the test fails on any
        errors.append(f"{type(e).__name__}: {e}")


def wait(predicate, seconds):
    deadline = time.monotonic() + seconds
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.05)


for step in range(20):
    observe(step)
wait(lambda: monitor.pending == 0, 60)
print(json.dumps({"sent": monitor.pending == 0}), flush=True)
wait(lambda: os.path.exists(os.path.join(folder, "down")), 120)
for step in range(20, 40):
    observe(step)
time.sleep(1)
print(json.dumps({"kept": monitor.pending}), flush=True)
wait(lambda: os.path.exists(os.path.join(folder, "up")), 120)
wait(lambda: monitor.pending == 0, 120)
left = monitor.close(timeout=10)
print(json.dumps({"pending": left, "errors": errors}), flush=True)
