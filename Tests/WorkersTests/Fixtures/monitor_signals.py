"""Prints isomine.signals.batch_signals of a batch stored as NPY files, as JSON (the Swift test compares
it with the trainer's StepSignals.batch on the same batch).

    python3 monitor_signals.py EMBEDDINGS.npy LABELS.npy MARGIN REFERENCE_SPREAD STEP [normalize]
"""
import json
import sys

import numpy as np

import isomine

x, y = np.load(sys.argv[1]), np.load(sys.argv[2])
print(json.dumps(isomine.batch_signals(x, y, float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]),
                                      normalize=sys.argv[6:] == ["normalize"])))
