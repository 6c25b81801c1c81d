"""Every way a submission can fail reaches the caller as the client's own exception, with isomine's
message and nothing of the driver's (no class name, no PL/pgSQL CONTEXT), and never the DSN's password.
Prints "ok" when every check holds; an AssertionError names the one that did not.

    python3 client_errors.py DSN
"""
import subprocess
import sys

import numpy as np

import isomine

dsn = sys.argv[1]
rng = np.random.default_rng(3)
labels = np.repeat(np.arange(4), 10)
embeddings = rng.normal(size=(40, 8)).astype(np.float32)


def refused(kind, call):
    """The exception `call` raises, checked to be `kind` and clean."""
    try:
        call()
    except isomine.IsomineError as e:
        assert type(e) is kind, f"expected {kind.__name__}, got {type(e).__name__}: {e}"
        text = str(e)
        assert text == e.message and "CONTEXT" not in text and "psycopg" not in text and "\n" not in text, f"not clean: {text!r}"
        return e
    raise AssertionError(f"expected {kind.__name__}, nothing was raised")


first = isomine.submit(dsn, "errs", 0, embeddings, labels, probe_size=40)

# A step submitted twice: StepExists, naming the step, the series and the job that has it.
e = refused(isomine.StepExists, lambda: isomine.submit(dsn, "errs", 0, embeddings, labels, probe_size=40))
assert e.sqlstate == "23505" and "step 0 of series 'errs' was already submitted" in e.message and f"(job {first})" in e.message, e.message

# The database's own refusals of a submission: InvalidInput (a ValueError too), with its message.
e = refused(isomine.InvalidInput, lambda: isomine.submit(dsn, "bad/name", 1, embeddings, labels))
assert "series name 'bad/name' is not valid" in e.message and isinstance(e, ValueError), e.message
e = refused(isomine.InvalidInput, lambda: isomine.submit(dsn, "errs", -1, embeddings, labels))
assert "step must be an integer from 0" in e.message, e.message
# Bad arrays are refused before anything is sent, as the same exception.
e = refused(isomine.InvalidInput, lambda: isomine.submit(dsn, "errs", 1, embeddings[None], labels))
assert "embeddings must be a 2-D array" in e.message, e.message
e = refused(isomine.InvalidInput, lambda: isomine.submit(dsn, "errs", 1, embeddings, labels[:-1]))
assert "rows" in e.message, e.message
e = refused(isomine.InvalidInput, lambda: isomine.submit(dsn, "errs", 1, embeddings, labels.astype(np.float32) + 0.5))
assert "labels must be integers" in e.message, e.message
e = refused(isomine.InvalidInput, lambda: isomine.submit(dsn, "errs", 1, embeddings, labels, margins=0.2))
assert "unknown option(s) margins" in e.message, e.message
e = refused(isomine.InvalidInput, lambda: isomine.submit(dsn, "errs", 1, embeddings, labels, normalize="yes"))
assert "normalize must be True or False" in e.message, e.message

# The upload cap (here lowered for this connection): InputTooLarge, naming the size and the limit.
capped = dsn + " options='-c isomine.max_input_bytes=1000'"
e = refused(isomine.InputTooLarge, lambda: isomine.submit(capped, "errs", 1, embeddings, labels))
assert "above the upload limit of 1000 bytes" in e.message and e.sqlstate == "54000", e.message

# No database there: ConnectionFailed (a ConnectionError too); the password in the DSN is never shown.
e = refused(isomine.ConnectionFailed, lambda: isomine.submit("host=/nonexistent-isomine-socket dbname=x user=u password=hunter2secret connect_timeout=2",
                                                              "errs", 1, embeddings, labels))
assert "cannot connect to the database" in e.message and "hunter2secret" not in e.message and isinstance(e, ConnectionError), e.message
e = refused(isomine.ConnectionFailed, lambda: isomine.series("postgresql://u:hunter2secret@/x?host=/nonexistent-isomine-socket&connect_timeout=2", "errs"))
assert "hunter2secret" not in e.message, e.message

# A database without the isomine schema: SchemaMissing, saying to migrate.
e = refused(isomine.SchemaMissing, lambda: isomine.series(" ".join(p for p in dsn.split() if not p.startswith("dbname=")) + " dbname=postgres", "errs"))
assert "isomine migrate" in e.message, e.message

# Documented return values: a healthy or young series has collapse_step (None); no series is None.
s = isomine.series(dsn, "errs")
assert s["collapse_step"] is None and s["warning_step"] is None and [t["step"] for t in s["steps"]] == [0], s
assert isomine.series(dsn, "no-such-series") is None
assert isomine.job(dsn, first)["state"] in ("queued", "running", "succeeded"), isomine.job(dsn, first)
assert isomine.job(dsn, 10**9) is None and isomine.metrics(dsn, 10**9) == {}

# No driver installed: DriverMissing (an ImportError too) says what to install.
blocked = subprocess.run([sys.executable, "-c", """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('psycopg', 'psycopg2'):
            raise ImportError('No module named ' + repr(name))
sys.meta_path.insert(0, Block())
import isomine
try:
    isomine.series(sys.argv[1], 'errs')
except isomine.DriverMissing as e:
    assert isinstance(e, ImportError)
    print(e)
""", dsn], capture_output=True, text=True)
assert blocked.returncode == 0 and "pip install 'psycopg[binary]'" in blocked.stdout and "python3-psycopg2" in blocked.stdout, blocked
print("ok")
