#!/usr/bin/env python3
"""Writes digits784.npy / digits784_labels.npy: a fifth dataset for the collapse warning, made (and its
sweep, data/fresh-digits784-sweep.json, fixed) before the risk bands of risk_bands.py were chosen, and
read only to measure them.

MNIST-shaped inputs from the UCI optical digits (../../../../shared/data/digits.csv.gz, CC BY 4.0;
64 pixel counts and the label per row): each 8 × 8 image is upsampled bilinearly to 28 × 28 (784
inputs, as MNIST's), shifted by up to 2 pixels in each direction, scaled to [0, 1] with a random
contrast in [0.7, 1.3] and given pixel noise. Each source image appears `--copies` times with its own
distortion, so the set is larger and noisier than digits and in a space 12 × wider.

    python3 make_digits784.py DIR [--csv PATH] [--copies 2] [--seed 57]
"""
import argparse
import gzip
import os

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
parser = argparse.ArgumentParser()
parser.add_argument("dir")
parser.add_argument("--csv", default=os.path.join(here, "..", "..", "..", "..", "shared", "data", "digits.csv.gz"))
parser.add_argument("--copies", type=int, default=2)
parser.add_argument("--seed", type=int, default=57)
a = parser.parse_args()
rng = np.random.default_rng(a.seed)
rows = np.loadtxt(gzip.open(a.csv, "rt"), delimiter=",")
pixels, labels = rows[:, :64].reshape(-1, 8, 8) / 16.0, rows[:, 64].astype(np.int64)

# Bilinear upsampling 8 -> 24 as a matrix on each axis, then a 2-pixel border to 28.
src = (np.arange(24) + 0.5) / 3.0 - 0.5
lo = np.clip(np.floor(src).astype(int), 0, 7)
hi = np.clip(lo + 1, 0, 7)
t = np.clip(src - np.floor(src), 0, 1)
up = np.zeros((24, 8))
up[np.arange(24), lo] += 1 - t
up[np.arange(24), hi] += t
images, out_labels = [], []
for _ in range(a.copies):
    big = np.einsum("ij,njk,lk->nil", up, pixels, up)
    canvas = np.zeros((len(big), 28, 28))
    for n in range(len(big)):
        dy, dx = rng.integers(0, 5, 2)
        canvas[n, dy:dy + 24, dx:dx + 24] = big[n] * rng.uniform(0.7, 1.3)
    canvas += rng.normal(0, 0.05, canvas.shape)
    images.append(np.clip(canvas, 0, 1).reshape(len(big), 784))
    out_labels.append(labels)
x, y = np.concatenate(images), np.concatenate(out_labels)
order = rng.permutation(len(x))
os.makedirs(a.dir, exist_ok=True)
np.save(os.path.join(a.dir, "digits784.npy"), x[order].astype(np.float32))
np.save(os.path.join(a.dir, "digits784_labels.npy"), y[order])
print(f"wrote {len(x)} × 784 ({len(set(y.tolist()))} classes) to {a.dir}")
