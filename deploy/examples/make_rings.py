#!/usr/bin/env python3
"""Writes rings.npy / rings_labels.npy: a labelled set unlike digits and blobs, for measuring the
collapse warning on data it was not calibrated on (README, "Collapse early warning").

Each class is a noisy circle of its own radius in its own random 2-plane of R^24, around a centre
drawn from N(0, centre_scale^2 I), plus N(0, noise^2) noise: classes interleave, so they are not linearly separable.

    python3 deploy/examples/make_rings.py DIR [--classes 24] [--per-class 50] [--dim 24]
        [--noise 0.4] [--centre-scale 0.6] [--seed 7]
"""
import argparse
import os

import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("dir")
parser.add_argument("--classes", type=int, default=24)
parser.add_argument("--per-class", type=int, default=50)
parser.add_argument("--dim", type=int, default=24)
parser.add_argument("--noise", type=float, default=0.4)
parser.add_argument("--centre-scale", type=float, default=0.6)
parser.add_argument("--seed", type=int, default=7)
a = parser.parse_args()
rng = np.random.default_rng(a.seed)
features, labels = [], []
for c in range(a.classes):
    centre = rng.normal(0, a.centre_scale, a.dim)
    plane, _ = np.linalg.qr(rng.normal(size=(a.dim, 2)))
    radius = rng.uniform(1.0, 2.0)
    theta = rng.uniform(0, 2 * np.pi, a.per_class)
    circle = radius * np.stack([np.cos(theta), np.sin(theta)], axis=1) @ plane.T
    features.append(centre + circle + rng.normal(0, a.noise, (a.per_class, a.dim)))
    labels.append(np.full(a.per_class, c, dtype=np.int64))
os.makedirs(a.dir, exist_ok=True)
np.save(os.path.join(a.dir, "rings.npy"), np.concatenate(features).astype(np.float32))
np.save(os.path.join(a.dir, "rings_labels.npy"), np.concatenate(labels))
print(f"wrote {a.classes * a.per_class} rows x {a.dim} to {a.dir}/rings.npy, labels to {a.dir}/rings_labels.npy")
