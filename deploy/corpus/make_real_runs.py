#!/usr/bin/env python3
"""Builds isomine's corpus of real training runs: PyTorch + pytorch-metric-learning (PML) models trained
on CPU over a grid that yields healthy, partially collapsed and collapsed runs, every epoch's test
embeddings kept (the untrained epoch 0 included) with their labels, and a manifest with each
checkpoint's independent facts and its expected verdict.

    deploy/corpus/make_real_runs.sh [OUT_DIR]        # makes a venv with torch + PML, then runs this
    VENV/bin/python deploy/corpus/make_real_runs.py --out deploy/corpus/real-runs [--runs-per-family N] [--seed-offset K]

The expected verdict comes from the criterion below, computed here from the facts alone; it does not
use isomine or its rule (see manifest["criterion"] and the README's "Real runs" section):

  κ = (P@1 − chance) / (1 − chance), chance = the P@1 of random labels with the same class sizes;
  spread/α = mean pairwise Euclidean distance of the test embeddings over the margin α.
  separated = fraction of points whose farthest same-class point is no farther than their nearest
  other-class point.
  - collapsed when κ < 0.2 (classes lost), or spread/α < 0.25 (every distance well inside the margin:
    the loss's collapsed fixed point) unless ≥ 99 % of points are separated;
  - the untrained epoch 0 is never collapsed (nothing has trained): what would be is partial; so is a
    later checkpoint still at chance (κ < 0.2) when epoch 0 was at chance too, within its sampling noise
    (κ₀ < 0.2 + 2·SE, SE = √(p₀(1 − p₀)/N)/(1 − chance), p₀ epoch 0's P@1 on its N points), and its
    mean distance is at least half of epoch 0's (it has not learned yet; it has not contracted);
  - healthy when κ ≥ 0.7 and spread/α ≥ 0.5 (classes retrievable, distances on the margin's scale);
  - partial otherwise.
Everything is seeded; the corpus is deterministic for a given torch version on one machine.
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch
from pytorch_metric_learning import distances, losses, miners, reducers
from pytorch_metric_learning.utils.accuracy_calculator import AccuracyCalculator
from pytorch_metric_learning.utils.inference import CustomKNN
from sklearn.datasets import load_digits, make_classification

CRITERION = {
    "kappa": "(P@1 - chance) / (1 - chance); chance = mean over queries of (class size - 1) / (N - 1)",
    "spread_over_margin": "mean pairwise Euclidean distance of the test embeddings / margin",
    "separated_fraction": "fraction of points whose farthest same-class point is no farther than their nearest other-class point",
    "collapsed": "kappa < 0.2 (classes lost), or spread_over_margin < 0.25 with separated_fraction < 0.99 (distances collapsed)",
    "untrained": "epoch 0 is never collapsed: what would be is partial",
    "still_at_chance": "after training, kappa < 0.2 while epoch 0 had kappa < 0.2 + 2 SE (SE = sqrt(p0 (1 - p0) / N) / (1 - chance), p0 epoch 0's P@1 on its N points: at chance within its sampling noise) and the mean distance is still at least half of epoch 0's: not learned yet, judged as untrained (partial)",
    "healthy": "kappa >= 0.7 and spread_over_margin >= 0.5",
    "partial": "otherwise",
}


def chance_cut(facts, rows):
    """The κ under which epoch 0 counts as at chance: 0.2 plus two standard errors of its κ on `rows` points."""
    chance, p0 = facts["chance_precision_at_1"], facts["precision_at_1"]
    if rows < 2 or chance >= 1:
        return 0.2
    return 0.2 + 2 * math.sqrt(p0 * (1 - p0) / rows) / (1 - chance)


def expected_verdict(kappa, spread_over_margin, separated_fraction, untrained, still_at_chance=False):
    if kappa < 0.2 or (spread_over_margin < 0.25 and separated_fraction < 0.99):
        return "partial" if untrained or still_at_chance else "collapsed"
    if kappa >= 0.7 and spread_over_margin >= 0.5:
        return "healthy"
    return "partial"


def dataset(name, seed):
    """(x_train, y_train, x_test, y_test), standardised by the training split; the test split is a
    stratified subset so that the corpus stays small."""
    if name == "digits":
        x, y = load_digits(return_X_y=True)
    elif name == "blobs":
        # 12 classes, two clusters each, in R^24 (10 informative features, 4 redundant, the rest noise).
        x, y = make_classification(n_samples=2400, n_features=24, n_informative=10, n_redundant=4, n_classes=12,
                                   n_clusters_per_class=2, class_sep=2.5, flip_y=0.0, random_state=7)
    else:
        raise ValueError(name)
    per_class_test = 12
    rng = np.random.default_rng(seed)
    test, train = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        test.extend(idx[:per_class_test])
        train.extend(idx[per_class_test:])
    test, train = np.sort(test), np.sort(train)
    mu, sd = x[train].mean(0), x[train].std(0) + 1e-6
    f = lambda a: ((a - mu) / sd).astype(np.float32)
    return f(x[train]), y[train].astype(np.int64), f(x[test]), y[test].astype(np.int64)


def chance_p1(y):
    _, counts = np.unique(y, return_counts=True)
    size = dict(zip(*np.unique(y, return_counts=True)))
    q = [(size[c] - 1) / (len(y) - 1) for c in y if size[c] > 1]
    return float(np.mean(q))


def pk_batches(y, P, K, rng):
    by_class = {c: np.flatnonzero(y == c) for c in np.unique(y)}
    classes = np.array(sorted(by_class))
    while True:
        chosen = rng.choice(classes, size=min(P, len(classes)), replace=False)
        yield np.concatenate([rng.choice(by_class[c], size=K, replace=len(by_class[c]) < K) for c in chosen])


def make_miner(kind, margin, dist):
    if kind == "batch_hard":
        return miners.BatchHardMiner(distance=dist)
    if kind == "semi_hard":
        return miners.TripletMarginMiner(margin=margin, type_of_triplets="semihard", distance=dist)
    return None  # all triplets


def facts(e, y, margin, calc):
    acc = calc.get_accuracy(torch.from_numpy(e), torch.from_numpy(y))
    d = torch.cdist(torch.from_numpy(e).double(), torch.from_numpy(e).double())
    n = len(y)
    mean_distance = float(d.sum() / (n * (n - 1)))
    p1 = float(acc["precision_at_1"])
    chance = chance_p1(y)
    same = torch.from_numpy(y)[:, None] == torch.from_numpy(y)[None, :]
    eye = torch.eye(n, dtype=torch.bool)
    far_positive = torch.where(same & ~eye, d, torch.full_like(d, -1.0)).max(dim=1).values
    near_negative = torch.where(~same, d, torch.full_like(d, float("inf"))).min(dim=1).values
    anchors = (far_positive >= 0) & torch.isfinite(near_negative)
    separated = float(((far_positive <= near_negative) & anchors).sum() / anchors.sum())
    return {
        "precision_at_1": p1,
        "map_at_r": float(acc["mean_average_precision_at_r"]),
        "chance_precision_at_1": chance,
        "kappa": (p1 - chance) / (1 - chance),
        "mean_distance": mean_distance,
        "spread_over_margin": mean_distance / margin,
        "separated_fraction": separated,
    }


def train_run(cfg, out_dir, calc):
    torch.manual_seed(cfg["seed"])
    np.random.seed(cfg["seed"])
    xtr, ytr, xte, yte = dataset(cfg["dataset"], cfg["seed"])
    dim, margin, normalize = cfg["dim"], cfg["margin"], cfg["normalize"]
    net = torch.nn.Sequential(torch.nn.Linear(xtr.shape[1], 128), torch.nn.ReLU(), torch.nn.Linear(128, dim))
    dist = distances.LpDistance(normalize_embeddings=normalize)
    miner = make_miner(cfg["miner"], margin, dist)
    reducer = reducers.MeanReducer() if miner is not None else reducers.AvgNonZeroReducer()
    loss_fn = losses.TripletMarginLoss(margin=margin, distance=dist, reducer=reducer)
    opt = torch.optim.Adam(net.parameters(), lr=cfg["lr"])
    xt, yt = torch.from_numpy(xtr), torch.from_numpy(ytr)
    rng = np.random.default_rng(cfg["seed"])
    batches = pk_batches(ytr, cfg["P"], cfg["K"], rng)
    steps_per_epoch = max(1, len(ytr) // (cfg["P"] * cfg["K"]))

    def embed():
        net.eval()
        with torch.no_grad():
            e = net(torch.from_numpy(xte))
            if normalize:
                e = torch.nn.functional.normalize(e, dim=1)
        net.train()
        return e.numpy().astype(np.float32)

    def batch_loss(idx):
        emb, lab = net(xt[idx]), yt[idx]
        if miner is not None:
            tuples = miner(emb, lab)
        else:
            from pytorch_metric_learning.utils import loss_and_miner_utils as lmu
            tuples = lmu.get_all_triplets_indices(lab)
        a, p, n = tuples
        e = torch.nn.functional.normalize(emb, dim=1) if normalize else emb
        gap = (e[a] - e[p]).norm(dim=1) - (e[a] - e[n]).norm(dim=1) + margin
        active = float((gap > 0).float().mean()) if len(a) else 0.0
        return loss_fn(emb, lab, tuples), active

    run_dir = os.path.join(out_dir, cfg["name"])
    os.makedirs(run_dir, exist_ok=True)
    np.save(os.path.join(run_dir, "labels.npy"), yte)
    records = []
    with torch.no_grad():
        loss0, active0 = batch_loss(torch.from_numpy(next(batches)))
    epoch_loss, epoch_active = float(loss0), active0
    for epoch in range(cfg["epochs"] + 1):
        if epoch > 0:
            ls, acts = [], []
            for _ in range(steps_per_epoch):
                loss, active = batch_loss(torch.from_numpy(next(batches)))
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                ls.append(float(loss.detach())); acts.append(active)
            epoch_loss, epoch_active = float(np.mean(ls)), float(np.mean(acts))
        e = embed()
        if not np.all(np.isfinite(e)):
            break
        path = os.path.join(cfg["name"], f"epoch-{epoch}.npy")
        np.save(os.path.join(out_dir, path), e)
        f = facts(e, yte, margin, calc)
        f["loss"] = epoch_loss
        f["loss_over_margin"] = epoch_loss / margin
        f["active_fraction"] = epoch_active
        records.append({
            "run": cfg["name"], "family": cfg["family"], "epoch": epoch, "untrained": epoch == 0,
            "embeddings": path, "labels": os.path.join(cfg["name"], "labels.npy"),
            "margin": margin, "normalized": normalize, "dimension": dim,
            "config": {k: cfg[k] for k in ("dataset", "miner", "margin", "normalize", "dim", "lr", "P", "K", "seed")},
            "facts": f,
        })
    # The expected verdicts, now that epoch 0's facts are known.
    first = records[0]["facts"] if records else None
    for r in records:
        f = r["facts"]
        still = (r["epoch"] > 0 and f["kappa"] < 0.2 and first["kappa"] < chance_cut(first, len(yte))
                 and f["mean_distance"] >= 0.5 * first["mean_distance"])
        r["expected"] = expected_verdict(f["kappa"], f["spread_over_margin"], f["separated_fraction"], r["untrained"], still)
    return records


# (margin, normalised, dimension, learning rate, large batch) of each run of a family: every margin,
# normalisation and dimension meet gentle and aggressive settings; the aggressive ones (learning rate
# 0.05, batches of 10 classes × 32) into small dimensions are where hard mining collapses.
RUNS = [
    (0.05, True, 2, 1e-3, False), (0.2, True, 2, 1e-2, True), (0.05, False, 2, 5e-2, True),
    (0.2, False, 8, 1e-3, False), (0.05, True, 8, 5e-2, True), (0.2, True, 8, 1e-2, False),
    (0.05, False, 32, 1e-2, True), (0.2, True, 32, 5e-2, True), (0.05, True, 32, 1e-3, False),
    (0.2, False, 128, 1e-3, False), (0.2, True, 2, 5e-2, True), (0.05, False, 8, 5e-2, True),
]


def grid(runs_per_family, seed_offset=0):
    """The runs: for each dataset × miner (a family), the settings of RUNS (the first runs_per_family)."""
    runs = []
    for dataset_name in ("digits", "blobs"):
        for miner in ("batch_hard", "semi_hard", "all"):
            family = f"{dataset_name}/{miner}"
            for i, (m, nz, d, lr, large) in enumerate(RUNS[:runs_per_family]):
                # All triplets of a batch grow as its cube: the large batch is 10 × 12 there.
                P, K = ((10, 12) if miner == "all" else (10, 32)) if large else (8, 8)
                runs.append({"name": f"{dataset_name}-{miner}-{i:02d}", "family": family, "dataset": dataset_name, "miner": miner,
                             "margin": m, "normalize": nz, "dim": d, "lr": lr, "P": P, "K": K, "seed": i + seed_offset, "epochs": 3})
    return runs


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--runs-per-family", type=int, default=12)
    ap.add_argument("--seed-offset", type=int, default=0,
                    help="added to every run's seed (initialisation, batches, test split): a held-out corpus of the same grid")
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    os.makedirs(a.out, exist_ok=True)
    calc = AccuracyCalculator(include=("precision_at_1", "mean_average_precision_at_r"), k="max_bin_count",
                              knn_func=CustomKNN(distances.LpDistance(normalize_embeddings=False)))
    checkpoints = []
    for cfg in grid(a.runs_per_family, a.seed_offset):
        recs = train_run(cfg, a.out, calc)
        checkpoints.extend(recs)
        print(cfg["name"], " ".join(f"{r['expected'][0]}{r['facts']['kappa']:.2f}/{r['facts']['spread_over_margin']:.2f}" for r in recs),
              file=sys.stderr)
    manifest = {
        "version": 1,
        "generator": "deploy/corpus/make_real_runs.py",
        "torch": torch.__version__,
        "criterion": CRITERION,
        "checkpoints": checkpoints,
    }
    with open(os.path.join(a.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    counts = {}
    for c in checkpoints:
        counts[c["expected"]] = counts.get(c["expected"], 0) + 1
    print(json.dumps({"checkpoints": len(checkpoints), "expected": counts}), file=sys.stderr)


if __name__ == "__main__":
    main()
