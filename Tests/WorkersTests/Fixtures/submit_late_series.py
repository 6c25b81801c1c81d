"""Submits series through the Python client whose first step is after 0: "late-run" at steps 5 and 6
(its baseline, step 5, is judged untrained only because it is first: logged once, as a warning), and
"late-untrained" at step 5 marked untrained=True (nothing logged). Prints the job ids as JSON; the
warnings go to stderr (logging's default handler).

    python3 submit_late_series.py DSN
"""
import json
import sys

import numpy as np

import isomine

dsn = sys.argv[1]
rng = np.random.default_rng(3)
labels = np.repeat(np.arange(4), 6)
points = (rng.normal(size=(24, 8)) + labels[:, None] * 3.0).astype(np.float32)
ids = [isomine.submit(dsn, "late-run", 5, points, labels), isomine.submit(dsn, "late-run", 6, points, labels),
       isomine.submit(dsn, "late-untrained", 5, points, labels, untrained=True)]
print(json.dumps(ids))
