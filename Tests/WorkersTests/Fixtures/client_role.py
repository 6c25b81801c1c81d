"""The client used by an ordinary role: one that was given isomine_client submits and reads; one that was
not is refused with PermissionDenied saying what to grant. Also writes the arrays the test's psql
submission reads (FOLDER/e.npy, FOLDER/y.npy). Prints "ok".

    python3 client_role.py DSN_OF_CLIENT DSN_OF_STRANGER FOLDER
"""
import os
import sys

import numpy as np

import isomine

dsn, stranger, folder = sys.argv[1:4]
rng = np.random.default_rng(5)
labels = np.repeat(np.arange(4), 10)
embeddings = (rng.normal(size=(4, 8))[labels] * 3 + rng.normal(size=(40, 8))).astype(np.float32)
np.save(os.path.join(folder, "e.npy"), embeddings)
np.save(os.path.join(folder, "y.npy"), labels)

job = isomine.submit(dsn, "role-run", 0, embeddings, labels, probe_size=40)
assert isomine.job(dsn, job)["state"] == "queued", isomine.job(dsn, job)
assert [s["step"] for s in isomine.series(dsn, "role-run")["steps"]] == [0]

try:
    isomine.submit(stranger, "role-run", 5, embeddings, labels)
    raise AssertionError("a role without isomine_client submitted")
except isomine.PermissionDenied as e:
    assert "GRANT isomine_client TO" in e.message and isinstance(e, PermissionError), e.message
try:
    isomine.series(stranger, "role-run")
    raise AssertionError("a role without isomine_client read a series")
except isomine.PermissionDenied:
    pass
print("ok")
