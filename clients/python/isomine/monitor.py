"""The collapse monitor for a training loop you write yourself: call `observe` once per batch.

    monitor = isomine.Monitor(dsn, "resnet-run-7", margin=0.2, learning_rate=1e-3, optimizer="adam",
                              classes_per_batch=8, samples_per_class=4)
    for step, (x, y) in enumerate(loader):
        embeddings = model(x)
        monitor.observe(step, embeddings, y)       # numpy arrays or torch tensors
        ...
        if monitor.warning:                        # set once a worker has warned
            break
    monitor.close()

`observe` computes the batch's signals (isomine.signals.batch_signals, the trainer's own) and returns
at once; a background thread sends them to the database (isomine.submit_signals) and reads back what
the workers concluded. The rules live in the daemon: a worker computes the step-0 collapse risk from
the first batches (sent with the settings, isomine.start_monitor) and reads every row with the same
warning rule as isomine's trainer, and records collapse.warning once (webhooks included). When the
database is away the monitor keeps the rows, retries, and says so once in the log; it never raises
into the training loop for that. Bad input (shapes, NaN, one class, steps going backwards) raises
ValueError at once (a batch shorter than the run's with nothing to mine, an epoch's last, is skipped
and said once in the log instead), and a refusal by the database (e.g. the series belongs to another run) raises
MonitorError from the next `observe`.
"""
import atexit
import json
import logging
import math
import re
import threading
import time
import weakref

import numpy as np

from . import _driver
from .client import npy_bytes
from .errors import InvalidInput, MonitorError
from .signals import as_array, as_labels, batch_signals, check_values, class_problem, normalized, sphere_spread

__all__ = ["Monitor", "MonitorError"]

_log = logging.getLogger("isomine")

#: The largest step isomine stores (a PostgreSQL integer, as isomine.submit_signals checks).
_MAX_STEP = 2**31 - 1

#: The miner names a monitor accepts: isomine's miners (Triplets.Miner) and "other" (isomine.start_monitor's list).
MINERS = ("batch-hard", "batch-all", "semi-hard", "easy-positive", "random", "hardest-triplet", "collapse-aware", "other")

#: SQLSTATE classes that mean the database refused the request itself (retrying cannot help).
_REFUSALS = ("22", "23", "P0", "42")


class Monitor:
    """Watches one training run, stored as series `series`.

    margin: the triplet margin α the run trains with (the signals' loss and active fraction use it).
    normalize: the loss L2-normalises the embeddings before measuring them, as pytorch-metric-learning's
        default LpDistance() and CosineSimilarity() do: pass True when you observe the model's raw
        outputs (PML's own examples give them to the loss), so that the signals, the step-0 risk's
        batches and the margin are on the sphere's scale the loss sees. The series' checkpoints are then
        judged normalised too (one way per series).
    learning_rate, optimizer, classes_per_batch (P), samples_per_class (K), embedding_dim: the run's
        settings. The first `risk_batches` batches of B = P·K rows are sent too (0: none). With
        learning_rate given, a worker computes the run's step-0 collapse risk from them (the model is
        calibrated on Adam); with or without it, the first batch tells the daemon where the run
        started, so that a first checkpoint at chance after training batches reads "still at chance",
        not "classes lost", when the run started at chance and has not contracted. Observe before the
        optimizer's first step, so that the first batch is the untrained network's (the 2nd and 3rd
        have then had one and two updates).
    miner: the run's miner, as isomine names miners: "batch-hard" (the default: PML's BatchHardMiner),
        "easy-positive", "hardest-triplet", "semi-hard", "batch-all" (also a loss given no miner: every
        triplet), "collapse-aware", "random", or "other" (e.g. MultiSimilarityMiner);
        `isomine.from_pml(loss_fn, miner)` reads it from a PML miner. The step-0 risk warns only for
        miners that take each anchor's hardest negative (batch-hard, easy-positive, hardest-triplet),
        the runs it was fitted on; for the others it is reported and the per-step signals warn alone.
    every: compute and send signals every `every`-th observed step (1: every batch); the step-0 risk's
        batches are the first `risk_batches` observed whatever `every` is.
    queue: the queue whose workers evaluate this run (`isomine worker --queues`; default "default").
    flush_seconds: how often the background thread sends and reads back.
    on_warning: called once, on the monitor's thread, with the warning dict when a worker warns.
    resume: continue the series' monitor after a restart (a crash, a job resumed from a checkpoint)
        instead of refusing it: the margin must be the stored one; the other settings, the step-0
        batches and the risk stay as the first start stored them; observed steps the series already
        has are skipped (observe returns None; stored rows are never rewritten, as W&B skips steps
        logged before a resume); batch_spread_ratio keeps the series' first row as its reference. A
        series with no monitor yet is started as without resume.
    """

    def __init__(self, dsn, series, *, margin, learning_rate=None, optimizer=None, classes_per_batch=None,
                 samples_per_class=None, embedding_dim=None, every=1, risk_batches=3, flush_seconds=2.0,
                 on_warning=None, connect_timeout=5, queue=None, resume=False, normalize=False, miner=None):
        if not (isinstance(margin, (int, float)) and margin > 0 and math.isfinite(margin)):
            raise InvalidInput(f"margin must be a positive number (the triplet margin α of the run), got {margin!r}")
        if not isinstance(every, int) or every < 1:
            raise InvalidInput(f"every must be a whole number ≥ 1, got {every!r}")
        if not isinstance(risk_batches, int) or not 0 <= risk_batches <= 16:
            raise InvalidInput(f"risk_batches must be a whole number from 0 to 16, got {risk_batches!r}")
        if not isinstance(normalize, bool):
            raise InvalidInput(f"normalize must be True or False (whether the loss L2-normalises the embeddings), got {normalize!r}")
        if miner is not None and miner not in MINERS:
            raise InvalidInput(f"miner must be one of {', '.join(MINERS)} (isomine's miner names; other for any other miner), got {miner!r}")
        self.dsn, self.series = dsn, series
        self.margin = float(margin)
        self.normalize = normalize
        if not isinstance(resume, bool):
            raise InvalidInput(f"resume must be True or False, got {resume!r}")
        self.every, self.flush_seconds, self.on_warning = every, float(flush_seconds), on_warning
        self.resume = resume
        self.connect_timeout = connect_timeout
        self._settings = {"margin": self.margin, "client": "isomine-python", "signal_every": every}
        for key, value in (("learning_rate", learning_rate), ("classes_per_batch", classes_per_batch),
                           ("samples_per_class", samples_per_class), ("embedding_dim", embedding_dim)):
            if value is not None:
                self._settings[key] = value
        if normalize:
            self._settings["normalize"] = True
        if miner is not None:
            self._settings["miner"] = miner
        if optimizer is not None:
            self._settings["optimizer"] = str(optimizer)
        if queue is not None:
            if not isinstance(queue, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_.-]{0,62}", queue):  # isomine's queue-name rule
                raise InvalidInput(f"queue must be a queue name (1 to 63 of a-z, 0-9, _ . - starting with a letter or digit), got {queue!r}")
            self._settings["queue"] = queue
        self._batch_size = classes_per_batch * samples_per_class if classes_per_batch and samples_per_class else None
        self._full_rows = None                # the largest batch observed (a short one after it can be an epoch's tail)
        self._said_short = False
        self._said_sphere = normalize   # the sphere hint below, said once (never when normalising already)
        self._risk_wanted = risk_batches
        self._risk_x, self._risk_y = [], []
        self._lock = threading.Condition()
        self._rows = []                # computed, not yet sent
        self._started = False          # isomine.start_monitor has succeeded
        self._closing = False
        self._last_step = None
        self._reference = 0.0          # the first batch's spread (the series' first row's, once resumed)
        self._attached = not resume    # resume: the series' stored state has been read
        self._stored_through = None    # resume: the last step the series had; observed steps up to it are skipped
        self._observed = 0
        self._sent_through = None      # highest step the database has
        self._refusal = None
        self._away = False             # the database is unreachable (said once)
        self._warning = None
        self._risk = None
        self._evaluated = None
        self._conn = None
        self._thread = threading.Thread(target=self._run, name=f"isomine-monitor-{series}", daemon=True)
        self._thread.start()
        # A loop that ends without close() still sends what is buffered (for at most 10 s) at exit.
        atexit.register(_close_at_exit, weakref.ref(self))

    # The training loop's side.

    def observe(self, step, embeddings, labels):
        """Reads one batch: its signals are computed now (returned as a dict, or None on steps skipped
        by `every`) and sent in the background. Steps must increase."""
        with self._lock:
            if self._refusal is not None:
                raise MonitorError(self._refusal)
            if self._closing:
                raise InvalidInput("the monitor is closed")
        if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or not 0 <= step <= _MAX_STEP:
            raise InvalidInput(f"step must be a whole number from 0 to {_MAX_STEP}, got {step!r}")
        step = int(step)
        if self._last_step is not None and step <= self._last_step:
            hint = (" (a step counted within each epoch starts again at 0: pass the run's global step, e.g. "
                    "epoch * len(loader) + i)") if step == 0 else ""
            raise InvalidInput(f"step {step} is not after the last observed step {self._last_step}: steps must increase{hint}")
        x = as_array(embeddings)
        y = as_labels(labels, x.shape[0])
        check_values(x)
        problem = class_problem(y)
        if problem is not None:
            if self._full_rows is None or x.shape[0] >= self._full_rows:
                raise InvalidInput(problem)
            # A batch shorter than the run's earlier ones with nothing to mine is the tail of an epoch (a
            # DataLoader without drop_last), not a sampler that cannot feed batch-hard (whose first batch
            # is refused): skipped, said once, rather than raised into a loop that may have trained for hours.
            self._last_step = step
            self._observed += 1
            if not self._said_short:
                self._said_short = True
                _log.warning("isomine monitor %s: step %d's batch of %d rows, fewer than the run's %d, is skipped: %s "
                             "(the short last batch of an epoch? DataLoader(..., drop_last=True) leaves it out); said once",
                             self.series, step, x.shape[0], self._full_rows, problem)
            return None
        self._full_rows = max(self._full_rows or 0, x.shape[0])
        self._last_step = step
        self._observed += 1
        with self._lock:
            # The step-0 risk's batches are the run's first ones whatever `every` thins the rows to: the
            # risk is calibrated on the untrained network's batch and the two after it.
            if self._risk_wanted and len(self._risk_x) < self._risk_wanted:
                if self._batch_size is None:
                    self._batch_size = x.shape[0]
                if x.shape[0] == self._batch_size:
                    # As the loss measures them: the risk reads the batch's geometry at the margin.
                    self._risk_x.append((normalized(x) if self.normalize else x).astype(np.float32))
                    self._risk_y.append(y)
                    if not self._risk_x[1:]:
                        self._settings["first_step"] = step
        if (self._observed - 1) % self.every != 0:
            return None
        with self._lock:
            if self._stored_through is not None and step <= self._stored_through:
                return None        # resumed: the series already has this step
            reference = self._reference
        row = batch_signals(x, y, self.margin, reference, step, normalize=self.normalize)
        if not all(math.isfinite(v) for v in row.values()):
            raise InvalidInput(f"the batch's signals are not finite at step {step} (embeddings of magnitude up to "
                             f"{float(np.abs(x).max()):.3g} overflow their distances)")
        if not self._said_sphere and row["batch_spread"] >= 0.25 * self.margin:
            # The verdict's collapsed_on_the_sphere, for the loop: a loss that normalises these embeddings
            # (PML's default LpDistance()) sees a collapse the raw outputs do not show. A hint, not a rule:
            # the signals stay the embeddings' as given.
            sphere = sphere_spread(x)
            if sphere is not None and sphere < 0.25 * self.margin:
                self._said_sphere = True
                _log.warning("isomine monitor %s: at step %d the batch, L2-normalised, has collapsed against the margin "
                             "(mean distance %.3g α; %.3g α as given). If your loss normalises the embeddings "
                             "(pytorch-metric-learning's default LpDistance(), CosineSimilarity()), pass normalize=True "
                             "(a new series: one is read one way); said once", self.series, step,
                             sphere / self.margin, row["batch_spread"] / self.margin)
        with self._lock:
            if self._stored_through is not None and step <= self._stored_through:
                return None        # the series' state arrived while the row was computed
            if self._reference == 0.0:
                self._reference = row["batch_spread"]
            if self._reference != reference:
                # The series' first row became the reference meanwhile: batch_signals' own formula.
                row["batch_spread_ratio"] = row["batch_spread"] / self._reference
            self._rows.append(row)
            self._lock.notify_all()
        return row

    @property
    def warning(self):
        """The series' collapse warning once a worker recorded it ({"step", "source", "reasons", ...}), else None."""
        with self._lock:
            return self._warning

    @property
    def risk(self):
        """The step-0 collapse risk a worker computed ({"risk", "threshold", "reasons", ...}), else None."""
        with self._lock:
            return self._risk

    @property
    def pending(self):
        """Signal rows computed and not yet stored in the database."""
        with self._lock:
            return len(self._rows)

    def sync(self, timeout=60.0):
        """Sends everything observed and waits until a worker has evaluated it (rows and, when sent, the
        step-0 batches); returns True then, False at the timeout (e.g. no worker is running)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            self._lock.notify_all()
            while time.monotonic() < deadline and self._refusal is None:
                if self._caught_up():
                    return True
                self._lock.wait(min(0.2, max(deadline - time.monotonic(), 0.0)))
            if self._refusal is not None:
                raise MonitorError(self._refusal)
            return self._caught_up()

    def close(self, timeout=10.0):
        """Sends what is buffered (for at most `timeout` seconds) and stops the background thread.
        Returns the number of rows that could not be sent (kept nowhere after this: 0 when all went).
        Called at interpreter exit for a monitor not closed before."""
        with self._lock:
            if self._closing and not self._thread.is_alive():
                return len(self._rows)
            self._closing = True
            self._lock.notify_all()
        self._thread.join(timeout)
        with self._lock:
            left = len(self._rows)
        if left:
            _log.warning("isomine monitor %s: closed with %d signal rows not sent (the database was unreachable)", self.series, left)
        return left

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # The background thread.

    def _caught_up(self):
        if self._rows or not self._started:
            return False
        if self._sent_through is not None and (self._evaluated is None or self._evaluated < self._sent_through):
            return False
        # Without learning_rate no risk is computed from the step-0 batches: nothing to wait for.
        return not self._risk_x or self._risk is not None or "learning_rate" not in self._settings

    def _run(self):
        delay = 0.5
        while True:
            with self._lock:
                # resume: the series' state is read at once, so that observe skips stored steps from the start.
                if not self._closing and self._attached:
                    self._lock.wait(self.flush_seconds)
                closing = self._closing
            try:
                self._send()
                self._read_back()
                if self._away:
                    _log.warning("isomine monitor %s: the database is reachable again; signal rows sent", self.series)
                    self._away = False
                delay = 0.5
            except MonitorError as e:
                with self._lock:
                    self._refusal = str(e)
                    self._rows.clear()
                    self._lock.notify_all()
                _log.error("isomine monitor %s: %s", self.series, e)
                return
            except Exception as e:  # the database is away or failing: keep everything, say so once, retry
                self._drop_connection()
                if not self._away:
                    reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                    state = _driver.sqlstate(e)
                    # A server that answered with an error other than a refusal (an internal error, out of
                    # resources) is not "unreachable"; connection failures and shutdowns (08, 57P) are.
                    what = (f"the database did not take the rows (SQLSTATE {state}: {reason})"
                            if state and not state.startswith(("08", "57P")) else f"cannot reach the database ({reason})")
                    _log.warning("isomine monitor %s: %s; keeping %d signal rows and retrying", self.series, what, self.pending)
                    self._away = True
                if closing:
                    return
                time.sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            if closing:
                with self._lock:
                    if not self._rows:
                        return

    def _connection(self):
        if self._conn is None:
            self._conn = _driver.connect(self.dsn, connect_timeout=self.connect_timeout)
        return self._conn

    def _drop_connection(self):
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:
                pass
            self._conn = None

    def _call(self, sql, params):
        conn = self._connection()
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                rows = cur.fetchall()
            conn.commit()
            return rows
        except Exception as e:
            try:
                conn.rollback()
            except Exception:
                self._drop_connection()
            state = _driver.sqlstate(e)
            if state and state.startswith(_REFUSALS):
                raise MonitorError(_driver.from_driver(e, self.dsn).message, state, _driver.hint(e)) from e
            raise

    def _attach(self):
        """resume: reads the series' monitor. With one, this monitor continues it (its margin checked, no
        start, the stored steps skipped, the first row's spread the reference); without, it starts as new."""
        rows = self._call("""SELECT s.monitor::text,
                                    (SELECT max(g.step) FROM isomine.series_signals g WHERE g.series = s.name),
                                    (SELECT (g.signals->>'batch_spread')::float8 FROM isomine.series_signals g
                                      WHERE g.series = s.name ORDER BY g.step LIMIT 1)
                               FROM isomine.series s WHERE s.name = %s""", (self.series,))
        monitor = json.loads(rows[0][0]) if rows and rows[0][0] else None
        if monitor is None:
            with self._lock:
                self._attached = True
            return
        stored_margin, last_step, first_spread = monitor.get("margin"), rows[0][1], rows[0][2]
        if not isinstance(stored_margin, (int, float)) or not math.isclose(float(stored_margin), self.margin, rel_tol=1e-12):
            raise MonitorError(f"cannot resume series \"{self.series}\": its monitor was started with margin {stored_margin}, "
                               f"and this run gives margin {self.margin:g} (the warning rule reads the rows against one "
                               f"margin); give a run with another margin a new series name")
        if bool(monitor.get("normalize", False)) != self.normalize:
            raise MonitorError(f"cannot resume series \"{self.series}\": its monitor was started with normalize="
                               f"{bool(monitor.get('normalize', False))}, and this run gives normalize={self.normalize} (the "
                               f"rows are read on one distance); give a run measured the other way a new series name")
        with self._lock:
            self._attached = self._started = True
            self._risk_wanted = 0
            self._risk_x, self._risk_y = [], []
            if last_step is not None:
                self._stored_through = int(last_step)
                self._sent_through = int(last_step)
                self._rows = [r for r in self._rows if r["step"] > self._stored_through]
            if first_spread is not None and first_spread > 0 and first_spread != self._reference:
                self._reference = float(first_spread)
                for r in self._rows:
                    r["batch_spread_ratio"] = r["batch_spread"] / self._reference
            self._lock.notify_all()
        _log.info("isomine monitor %s: resuming the series' monitor%s", self.series,
                  f" after step {last_step}: observed steps up to it are skipped" if last_step is not None else "")

    def _send(self):
        if not self._attached:
            self._attach()
        with self._lock:
            # The monitor starts once its step-0 batches are in (or nothing more will come).
            ready = len(self._risk_x) >= self._risk_wanted or self._closing or len(self._rows) > len(self._risk_x)
            if not self._started and not (ready and self._rows):
                return
            settings = dict(self._settings)
            if self._batch_size is not None and "classes_per_batch" not in settings:
                settings["batch_size"] = self._batch_size
            risk_x = np.concatenate(self._risk_x) if self._risk_x else None
            risk_y = np.concatenate(self._risk_y) if self._risk_y else None
            rows = list(self._rows[:5000])
        if not self._started:
            try:
                self._call("SELECT isomine.start_monitor(%s, %s::jsonb, %s, %s)",
                           (self.series, json.dumps(settings),
                            None if risk_x is None else _driver.binary(npy_bytes(risk_x)),
                            None if risk_y is None else _driver.binary(npy_bytes(risk_y))))
            except MonitorError as e:
                if e.sqlstate == "23505" and not self.resume:
                    raise MonitorError(f"{e.message} (to continue this run after a restart, pass resume=True)", e.sqlstate) from e
                raise
            with self._lock:
                self._started = True
                # Later batches no longer join the step-0 ones.
                self._risk_wanted = len(self._risk_x)
        if rows:
            try:
                self._call("SELECT isomine.submit_signals(%s, %s::jsonb)", (self.series, json.dumps(rows, allow_nan=False)))
            except MonitorError as e:
                # The server's hint says how a restarted loop continues (isomine.submit_signals); with resume
                # already given it would say nothing new.
                if not self.resume and e.hint:
                    raise MonitorError(f"{e.message} ({e.hint})", e.sqlstate, e.hint) from e
                raise
            with self._lock:
                del self._rows[:len(rows)]
                self._sent_through = rows[-1]["step"]
                self._lock.notify_all()

    def _read_back(self):
        if not self._started:
            return
        rows = self._call("""SELECT warning_step, warning::text, risk::text, signals_evaluated
                               FROM isomine.series WHERE name = %s""", (self.series,))
        if not rows:
            return
        warning_step, warning, risk, evaluated = rows[0]
        fire = None
        with self._lock:
            if warning_step is not None and self._warning is None:
                # A warning from a checkpoint step of the same series has no monitor record: its step says when.
                fire = json.loads(warning) if warning else {"step": int(warning_step), "source": "checkpoint"}
        if fire is not None:
            _log.warning("isomine monitor %s: collapse warning at step %s (%s)", self.series, fire.get("step"),
                         ", ".join(r.get("code", "") for r in fire.get("reasons", [])) or fire.get("source"))
            # The callback runs before the warning is visible to sync(): a loop that waits sees both.
            if self.on_warning is not None:
                try:
                    self.on_warning(fire)
                except Exception:
                    _log.exception("isomine monitor %s: on_warning raised", self.series)
        with self._lock:
            self._risk = json.loads(risk) if risk else None
            self._evaluated = evaluated
            if fire is not None:
                self._warning = fire
            self._lock.notify_all()


def _close_at_exit(ref):
    monitor = ref()
    if monitor is not None:
        monitor.close()
