"""A training loop restarted from a checkpoint, as the Python monitor sees it: a first session observes
steps 0–29 and ends (a crash); the restart from the step-20 checkpoint observes steps 20–49 on the same
series. Prints, as JSON, what each session did: {"case": value}.

    python3 monitor_resume.py DSN SERIES

again: the restart without resume: refused (MonitorError), the message saying how to continue the run.
resumed: the restart with resume=True and a lowered learning rate: which steps observe skipped, the
    step-30 row it sent, and whether a worker evaluated everything.
other_margin: a restart with resume=True at another margin: refused, naming both margins.
other_normalize: a restart with resume=True measuring the other way (normalize=True): refused, naming both.
fresh: resume=True on a series nobody started: started as new.
"""
import json
import sys
import time

import numpy as np

import isomine

dsn, name = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(5)
labels = np.repeat(np.arange(4), 4)
centres = rng.normal(size=(4, 8)) * 2.0
out = {}


def batch(step):
    return centres[labels] * (1.0 + step / 100.0) + 0.5 * rng.normal(size=(len(labels), 8))


def settings(lr):
    return dict(margin=0.2, learning_rate=lr, optimizer="adam", classes_per_batch=4, samples_per_class=4, flush_seconds=0.1)


first = isomine.Monitor(dsn, name, **settings(0.01))
for step in range(30):
    row = first.observe(step, batch(step), labels)
    if step == 25:
        out["first_row_25"] = row
out["first_unsent"] = first.close(timeout=30)


def restart(case, **kwargs):
    """Observes steps 20–49 (the loop resumed from its step-20 checkpoint); returns the monitor and the
    rows observe returned."""
    monitor = isomine.Monitor(dsn, **kwargs)
    time.sleep(0.5)   # a resumed loop loads its checkpoint first; the monitor reads the series meanwhile
    rows = {}
    try:
        for step in range(20, 50):
            rows[step] = monitor.observe(step, batch(step), labels)
            time.sleep(0.02)
        monitor.sync(timeout=5)
    except isomine.MonitorError as e:
        out[case] = f"MonitorError: {e}"
    return monitor, rows


again, _ = restart("again", series=name, **settings(0.01))
again.close(timeout=1)
resumed, rows = restart("resumed", series=name, resume=True, **settings(0.001))
out["skipped"] = [s for s, r in rows.items() if r is None]
out["row_30"] = rows[30]
out["synced"] = resumed.sync(timeout=120)
out["resumed_unsent"] = resumed.close(timeout=30)
other, _ = restart("other_margin", series=name, resume=True, **dict(settings(0.001), margin=0.3))
restart("other_normalize", series=name, resume=True, normalize=True, **settings(0.001))[0].close(timeout=5)
other.close(timeout=1)
# A restart without resume whose monitor settings are the first start's (no learning rate, no step-0
# batches: the start is taken as a resend) is refused at its rows, the message saying how to continue.
plain = dict(margin=0.2, flush_seconds=0.1, risk_batches=0)
first_plain = isomine.Monitor(dsn, name + "-plain", **plain)
for step in range(10):
    first_plain.observe(step, batch(step), labels)
first_plain.close(timeout=30)
again_plain = isomine.Monitor(dsn, name + "-plain", **plain)
try:
    for step in range(5, 40):
        again_plain.observe(step, batch(step), labels)
        time.sleep(0.05)
    again_plain.sync(timeout=5)
except isomine.MonitorError as e:
    out["again_plain"] = f"MonitorError: {e}"
again_plain.close(timeout=1)
fresh = isomine.Monitor(dsn, name + "-fresh", resume=True, margin=0.2, flush_seconds=0.1)
for step in range(5):
    fresh.observe(step, batch(step), labels)
out["fresh_unsent"] = fresh.close(timeout=30)
print(json.dumps(out))
