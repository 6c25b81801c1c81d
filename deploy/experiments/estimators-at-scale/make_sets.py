#!/usr/bin/env python3
"""The sets the f* search's large-set path and step size were judged on (README, *Estimators at scale*).

Usage: make_sets.py OUT_DIR [BENCH_DIR]
Writes OUT_DIR/NAME.npy and OUT_DIR/NAME_labels.npy for each set below (numpy only, seeded):
  blobs2000x32, blobs1500x128, blobs2000x64c100 (1,500-2,000 points: the large-set path),
  blobs600x64, blobs400x256 (wider than 32, up to 1,000 points), digits1797x64 and digits540x64 (the raw
  UCI digits pixels from ../shared/data/digits.csv.gz), and, with BENCH_DIR, the 2,000-point probes of the
  benchmark embeddings: run `isomine bench analyze --npy BENCH_DIR/60k/embeddings.npy --labels ... --probe-out DIR`
  first and pass the folders (probe60k, probe20k are copied from BENCH_DIR/probe60k, BENCH_DIR/probe20k).
The PML corpus checkpoints used too are deploy/corpus/real-runs/{digits,blobs}-batch_hard-09 (120 and 144 × 128).
"""
import gzip, os, shutil, sys
import numpy as np


def blobs(r, n, d, classes, sep, name, out):
    y = np.repeat(np.arange(classes), n // classes)
    c = r.normal(size=(classes, d)) * sep
    x = c[y] + r.normal(size=(len(y), d))
    np.save(f"{out}/{name}.npy", x.astype(np.float32))
    np.save(f"{out}/{name}_labels.npy", y.astype(np.int64))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    r = np.random.default_rng(1)
    blobs(r, 2000, 32, 10, 1.0, "blobs2000x32", out)
    blobs(r, 1500, 128, 10, 0.5, "blobs1500x128", out)
    blobs(r, 2000, 64, 100, 1.5, "blobs2000x64c100", out)
    here = os.path.dirname(os.path.abspath(__file__))
    digits = os.path.join(here, "../../../../shared/data/digits.csv.gz")
    a = np.array([[float(v) for v in line.split(b",")] for line in gzip.open(digits).read().splitlines()])
    x, y = a[:, :64].astype(np.float32), a[:, 64].astype(np.int64)
    np.save(f"{out}/digits1797x64.npy", x); np.save(f"{out}/digits1797x64_labels.npy", y)
    np.save(f"{out}/digits540x64.npy", x[:540]); np.save(f"{out}/digits540x64_labels.npy", y[:540])
    r = np.random.default_rng(2)
    blobs(r, 600, 64, 10, 0.7, "blobs600x64", out)
    blobs(r, 400, 256, 20, 0.5, "blobs400x256", out)
    if len(sys.argv) > 2:
        for probe in ("probe60k", "probe20k"):
            src = os.path.join(sys.argv[2], probe)
            shutil.copy(f"{src}/probe.npy", f"{out}/{probe}.npy")
            shutil.copy(f"{src}/probe_labels.npy", f"{out}/{probe}_labels.npy")


if __name__ == "__main__":
    main()
