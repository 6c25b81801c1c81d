#!/usr/bin/env python3
"""Writes warped.npy / warped_labels.npy: a third generated dataset for the collapse risk, made after
the model was fitted and never used to fit or choose anything (README of this folder).

Each of the classes is a Gaussian blob in a random 3-D subspace of R^dim (its own centre and
anisotropic scales), then every point goes through one fixed random two-layer tanh map R^dim -> R^dim
(weights drawn once), so classes are curved, unequally spread sheets rather than blobs or rings.

    python3 make_warped.py DIR [--classes 24] [--per-class 100] [--dim 40] [--centre-scale 0.35] [--seed 23]

(A first version, 16 classes with centres drawn at scale 1.2, was too easy: not one of its 96 sweep
runs collapsed, P@1 1.0 at n = 2, so it could measure no detection; these defaults overlap the classes.)
"""
import argparse
import os

import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("dir")
parser.add_argument("--classes", type=int, default=24)
parser.add_argument("--per-class", type=int, default=100)
parser.add_argument("--dim", type=int, default=40)
parser.add_argument("--centre-scale", type=float, default=0.35)
parser.add_argument("--seed", type=int, default=23)
a = parser.parse_args()
rng = np.random.default_rng(a.seed)
features, labels = [], []
for c in range(a.classes):
    basis, _ = np.linalg.qr(rng.normal(size=(a.dim, 3)))
    scales = rng.uniform(0.3, 1.5, 3)
    centre = rng.normal(0, a.centre_scale, a.dim)
    z = rng.normal(size=(a.per_class, 3)) * scales
    features.append(centre + z @ basis.T)
    labels += [c] * a.per_class
x = np.concatenate(features)
w1 = rng.normal(0, 1 / np.sqrt(a.dim), (a.dim, a.dim))
w2 = rng.normal(0, 1 / np.sqrt(a.dim), (a.dim, a.dim))
x = np.tanh(x @ w1) @ w2 + 0.1 * x
x = (x - x.mean(0)) / x.std(0)
os.makedirs(a.dir, exist_ok=True)
np.save(os.path.join(a.dir, "warped.npy"), x.astype(np.float32))
np.save(os.path.join(a.dir, "warped_labels.npy"), np.array(labels, dtype=np.int64))
print(f"wrote {x.shape[0]} rows x {x.shape[1]} to {a.dir}/warped.npy, labels to {a.dir}/warped_labels.npy")
