"""Feeds the Python monitor bad batches and prints, as JSON, the error each one raised (or null), and
what a refused series does: {"case": "message"}.

    python3 monitor_bad_input.py DSN SERIES_TAKEN
"""
import json
import logging
import sys
import time

import numpy as np

import isomine

dsn, taken = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(3)
labels = np.repeat(np.arange(4), 4)
good = rng.normal(size=(16, 8))
out = {}


def attempt(case, call):
    try:
        call()
        out[case] = None
    except (ValueError, isomine.MonitorError) as e:
        out[case] = f"{type(e).__name__}: {e}"


# A dsn nobody listens on: observe never raises for that, rows are kept.
away = isomine.Monitor("host=/nonexistent-isomine-socket dbname=x", "away-run", margin=0.2, flush_seconds=0.05, connect_timeout=1)
attempt("database_away", lambda: [away.observe(s, good, labels) for s in range(5)])
time.sleep(0.5)
out["database_away_pending"] = away.pending
away.close(timeout=0.1)

# Raw outputs of a loss that normalises them, collapsed on the sphere (every direction within ~1e-3 of
# one, norms 500-3,000): the monitor says once that normalize=True would read them as the loss does.
heard = []
hook = logging.Handler()
hook.emit = lambda record: heard.append(record.getMessage())
logging.getLogger("isomine").addHandler(hook)
direction = np.array([1.0] + [0.0] * 7)
raw = (direction + 1e-3 * rng.normal(size=(16, 8))) * rng.uniform(500, 3000, size=(16, 1))
hinted = isomine.Monitor("host=/nonexistent-isomine-socket dbname=x", "raw-run", margin=0.2, flush_seconds=60, connect_timeout=1)
for s in range(3):
    hinted.observe(s, raw, labels)
hinted.close(timeout=0.1)
out["sphere_hint"] = [h for h in heard if "L2-normalised" in h]
heard.clear()
on_sphere = isomine.Monitor("host=/nonexistent-isomine-socket dbname=x", "sphere-run", margin=0.2, flush_seconds=60, connect_timeout=1,
                            normalize=True)
on_sphere.observe(0, raw, labels)
healthy = isomine.Monitor("host=/nonexistent-isomine-socket dbname=x", "healthy-run", margin=0.2, flush_seconds=60, connect_timeout=1)
healthy.observe(0, good * 1000, labels)
on_sphere.close(timeout=0.1)
healthy.close(timeout=0.1)
out["sphere_hint_otherwise"] = [h for h in heard if "L2-normalised" in h]
logging.getLogger("isomine").removeHandler(hook)   # the rest of the script's messages go to stderr, as a loop's do

m = isomine.Monitor(dsn, "bad-input-run", margin=0.2, flush_seconds=0.05)
attempt("unequal_lengths", lambda: m.observe(0, good, labels[:10]))
attempt("one_class", lambda: m.observe(0, good, np.zeros(16, dtype=np.int64)))
# A first batch that cannot be mined is refused whatever its size (nothing says it is an epoch's tail).
attempt("short_first_one_class", lambda: m.observe(0, good[:4], np.zeros(4, dtype=np.int64)))
attempt("nan", lambda: m.observe(0, np.where(np.arange(16)[:, None] == 5, np.nan, good), labels))
attempt("not_2d", lambda: m.observe(0, good.ravel(), labels))
attempt("float_labels", lambda: m.observe(0, good, labels.astype(float)))
attempt("no_dimensions", lambda: m.observe(0, np.zeros((16, 0)), labels))
attempt("overflowing", lambda: m.observe(0, good * 1e200, labels))
attempt("step_too_large", lambda: m.observe(2**31, good, labels))


class BFloat16Tensor:
    """What the monitor sees of a torch bfloat16 tensor (torch is not installed in CI): numpy has no
    bfloat16, so torch's .numpy() raises TypeError until .float() widens it (checked by hand against
    torch 2.x: the signals of a bfloat16 batch then match its float32 values)."""
    dtype = "torch.bfloat16"

    def __init__(self, values, widened=False):
        self.values, self.widened = values, widened

    def detach(self):
        return self

    def cpu(self):
        return self

    def float(self):
        return BFloat16Tensor(self.values, widened=True)

    def numpy(self):
        if not self.widened:
            raise TypeError("Got unsupported ScalarType BFloat16")
        return self.values.astype(np.float32)


attempt("bfloat16", lambda: m.observe(1, BFloat16Tensor(good), labels))
attempt("first_good", lambda: m.observe(3, good, labels))
# An epoch's short last batch with nothing to mine (one class; no class with two points) is skipped
# (observe returns None, said once in the log); a full-size batch of one class is still refused.
out["short_one_class"] = repr(m.observe(4, good[:4], np.zeros(4, dtype=np.int64)))
out["short_no_pair"] = repr(m.observe(5, good[:6], np.arange(6)))
attempt("full_one_class", lambda: m.observe(6, good, np.zeros(16, dtype=np.int64)))
attempt("after_short", lambda: m.observe(7, good, labels))
attempt("backwards", lambda: m.observe(2, good, labels))
attempt("epoch_restart", lambda: m.observe(0, good, labels))
attempt("bad_margin", lambda: isomine.Monitor(dsn, "x", margin=float("nan")))
attempt("bad_queue", lambda: isomine.Monitor(dsn, "x", margin=0.2, queue="GPU!"))
attempt("queue_leading_dash", lambda: isomine.Monitor(dsn, "x", margin=0.2, queue="-gpu"))
attempt("bad_resume", lambda: isomine.Monitor(dsn, "x", margin=0.2, resume="yes"))
attempt("bad_normalize", lambda: isomine.Monitor(dsn, "x", margin=0.2, normalize=1))
attempt("bad_miner", lambda: isomine.Monitor(dsn, "x", margin=0.2, miner="BatchHardMiner"))
out["good_synced"] = m.sync(timeout=0.01) in (True, False)
m.close()

# A series another monitor started with other settings: refused by the database, raised at the next observe.
other = isomine.Monitor(dsn, taken, margin=0.3, flush_seconds=0.05)
other.observe(0, good, labels)
deadline, step = time.monotonic() + 20, 0
while time.monotonic() < deadline:
    step += 1
    try:
        other.observe(step, good, labels)
    except isomine.MonitorError as e:
        out["taken"] = f"MonitorError: {e}"
        break
    time.sleep(0.05)
other.close(timeout=0.1)
print(json.dumps(out))

# A loop that ends without close(): what is buffered is sent at exit (flushes are a minute apart here).
forgotten = isomine.Monitor(dsn, "forgotten-close-run", margin=0.2, flush_seconds=60)
for step in range(3):
    forgotten.observe(step, good, labels)
