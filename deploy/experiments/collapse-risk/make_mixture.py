#!/usr/bin/env python3
"""Writes mixture.npy / mixture_labels.npy: a fourth generated dataset for the collapse risk, written
(and its sweep fixed) before the first-step forecast was fitted, and read only to measure it.

Each class is a mixture of two Gaussian sub-clusters with independent centres in a 12-D latent space
(so a class is two separate islands, interleaved with the others), pushed through one fixed random
ReLU network R^12 -> R^64 -> R^48 (weights drawn once), plus a little isotropic noise: multimodal classes,
unlike the rings (one circle per class), the warped sheets (one curved blob per class) and digits.

    python3 make_mixture.py DIR [--classes 30] [--per-class 60] [--latent 12] [--dim 48] [--spread 0.35] [--seed 41]
"""
import argparse
import os

import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("dir")
parser.add_argument("--classes", type=int, default=30)
parser.add_argument("--per-class", type=int, default=60)
parser.add_argument("--latent", type=int, default=12)
parser.add_argument("--dim", type=int, default=48)
parser.add_argument("--spread", type=float, default=0.35)
parser.add_argument("--seed", type=int, default=41)
a = parser.parse_args()
rng = np.random.default_rng(a.seed)
z, labels = [], []
for c in range(a.classes):
    centres = rng.normal(0, 1, (2, a.latent))
    which = rng.integers(0, 2, a.per_class)
    z.append(centres[which] + rng.normal(0, a.spread, (a.per_class, a.latent)))
    labels += [c] * a.per_class
z = np.concatenate(z)
w1 = rng.normal(0, 1 / np.sqrt(a.latent), (a.latent, 64))
b1 = rng.normal(0, 0.3, 64)
w2 = rng.normal(0, 1 / np.sqrt(64), (64, a.dim))
x = np.maximum(z @ w1 + b1, 0) @ w2 + rng.normal(0, 0.05, (len(z), a.dim))
order = rng.permutation(len(x))
os.makedirs(a.dir, exist_ok=True)
np.save(os.path.join(a.dir, "mixture.npy"), x[order].astype(np.float32))
np.save(os.path.join(a.dir, "mixture_labels.npy"), np.array(labels, dtype=np.int64)[order])
print(f"wrote {len(x)} rows x {a.dim} to {a.dir}/mixture.npy, labels to {a.dir}/mixture_labels.npy")
