"""A small client for isomine: submit a training run's checkpoint embeddings as steps of a series and
read the series back. Needs numpy and a PostgreSQL driver (psycopg 3, or psycopg2 such as Debian's
python3-psycopg2); everything else happens in the database (isomine.submit_embeddings), so the workers
need no copy of your files.

    import isomine
    job = isomine.submit("postgresql://…", "resnet50-run-7", epoch, test_embeddings, test_labels, probe_size=1000)
    print(isomine.series("postgresql://…", "resnet50-run-7")["steps"])
"""
import io
import json
import logging

import numpy as np

from ._driver import binary as _binary, connect as _connect, is_driver_error as _is_driver_error
from .errors import InvalidInput, from_driver as _from_driver
from .signals import as_labels, to_numpy

__all__ = ["submit", "series", "metrics", "job", "npy_bytes"]

_log = logging.getLogger("isomine")

#: Options submit() passes on (analyze spec fields and queue fields), as isomine.submit_embeddings takes them.
OPTIONS = ("margin", "normalize", "probe_size", "iterations", "seed", "reference_scale", "threads", "blas_threads", "name", "queue",
           "baseline_step", "untrained", "priority", "max_attempts")


def npy_bytes(array):
    """The array as NPY file bytes (what numpy.save writes), C-ordered."""
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def _as_embeddings(embeddings):
    # Torch tensors and lists are accepted: anything numpy can turn into an array.
    x = to_numpy(embeddings)
    if x.ndim != 2:
        raise InvalidInput(f"embeddings must be a 2-D array (N, D), got shape {x.shape}")
    if x.dtype not in (np.float32, np.float64):
        x = x.astype(np.float32)
    return x.astype(x.dtype.newbyteorder("<"), copy=False)


def _as_labels(labels, rows):
    return as_labels(labels, rows).astype("<i8")


def _query(dsn, sql, params, commit=False):
    """Runs one statement on a fresh connection and returns its rows; the driver's errors become the
    client's own (isomine.errors), with the server's message."""
    conn = _connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            rows = cur.fetchall()
        if commit:
            conn.commit()
        return rows
    except Exception as e:
        if _is_driver_error(e):
            raise _from_driver(e, dsn) from e
        raise
    finally:
        conn.close()


def submit(dsn, series, step, embeddings, labels, **options):
    """Uploads one checkpoint's embeddings (N, D) and integer labels (N,) and queues its analysis as
    step `step` of `series`. Returns the job id. A step is submitted once per series: the database
    refuses a second submission of the same step. Pass `margin=` the margin you trained with (the verdict
    judges distances against it), `normalize=True` when your loss L2-normalises the embeddings and you
    pass the model's raw outputs (pytorch-metric-learning's default LpDistance() and CosineSimilarity()
    do: the verdict then reads them on the sphere, as the loss does), and `untrained=True` for a checkpoint of the untrained model (the
    series' baseline step, its first, is judged so anyway: an untrained network at chance is never a
    collapse; a first step after 0 not marked untrained is logged as a warning, since a trained
    checkpoint there would never read collapsed: submit the untrained network as step 0)."""
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise InvalidInput(f"unknown option(s) {', '.join(unknown)}; known: {', '.join(OPTIONS)}")
    if not isinstance(options.get("normalize", False), bool):
        raise InvalidInput(f"normalize must be True or False (whether the loss L2-normalises the embeddings), got {options['normalize']!r}")
    x = _as_embeddings(embeddings)
    y = _as_labels(labels, x.shape[0])
    rows = _query(dsn, "SELECT isomine.submit_embeddings(%s, %s, %s, %s, %s::jsonb)",
                  (series, int(step), _binary(npy_bytes(x)), _binary(npy_bytes(y)), json.dumps(options)), commit=True)
    job_id = int(rows[0][0])
    if int(step) > 0:
        _note_first_step(dsn, series, int(step))
    return job_id


def _note_first_step(dsn, series, step):
    """Says (logged as a warning) when a series' first step is after 0 and judged untrained only because it
    is the baseline: a trained checkpoint (epoch 5, the first saved) never reads collapsed there. Advice
    only: a database that cannot answer (an older schema) leaves the submission as it is."""
    try:
        judged = _query(dsn, "SELECT isomine.baseline_judged_untrained(%s, %s)", (series, step))[0][0]
    except Exception:
        return
    if judged:
        _log.warning("isomine: step %d is the first step of series '%s', its baseline, judged as an untrained network "
                     "(never collapsed) and the reference of later steps. If it is a trained checkpoint, submit the "
                     "untrained network's embeddings as step 0 (a new series), or watch the loop with isomine.Monitor, "
                     "whose first batches say where the run started.", step, series)


def series(dsn, name):
    """The series as a dict: {"name", "margin", "baseline_step", "collapse_step", "steps": [...]} (margin: the α its steps are judged at), each step with
    its job id, state, verdict, reasons (codes) and key figures; None when there is no such series."""
    rows = _query(dsn, "SELECT isomine.series_json(%s)::text", (name,))
    return json.loads(rows[0][0]) if rows and rows[0][0] else None


def metrics(dsn, job_id):
    """A job's metric rows as {name: {step: value}}."""
    out = {}
    for name, step, value in _query(dsn, "SELECT name, step, value FROM isomine.metrics WHERE job_id = %s ORDER BY name, step", (int(job_id),)):
        out.setdefault(name, {})[int(step)] = float(value)
    return out


def job(dsn, job_id):
    """The job's state, verdict and last error."""
    rows = _query(dsn, "SELECT state, result->>'verdict', last_error FROM isomine.jobs WHERE id = %s", (int(job_id),))
    return None if not rows else {"id": int(job_id), "state": rows[0][0], "verdict": rows[0][1], "last_error": rows[0][2]}
