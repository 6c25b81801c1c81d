"""A monitored run's first checkpoint after training batches, on real PyTorch + pytorch-metric-learning
runs: is a run that started at chance and has not learned yet called "still at chance", and a run that
lost its classes still "collapsed"?

Each run trains an MLP (inputs-256-256-n, L2-normalised embeddings) with PML's TripletMarginLoss
(margin 0.2) and BatchHardMiner on MPerClassSampler batches, observes every batch with isomine.Monitor
and submits the test embeddings at epochs 1 and 3 only (no untrained checkpoint: the monitor's
series then judges its first checkpoint as a trained network's). Twice per setting: with the monitor
given learning_rate (it sends its first batches: the daemon knows where the run started) and without
(it does not: the verdict before the monitor's start was read). For each run the script measures, on
the test set itself, the untrained network's κ (leave-one-out 1-NN above chance) and the epoch-1
spread over the untrained one: the truth the daemon's reading is compared with. A worker must run
against the database.

    pip install ./clients/python torch pytorch-metric-learning scikit-learn psycopg2-binary
    python3 run_first_checkpoint.py --dsn "$DATABASE_URL" --out data/runs.jsonl
"""
import argparse
import itertools
import json
import time

import numpy as np
import torch
from pytorch_metric_learning import losses, miners, samplers
from sklearn.datasets import load_digits, make_classification
from sklearn.model_selection import train_test_split

import isomine


def kappa_and_spread(e, y):
    """Leave-one-out 1-NN κ above chance and the mean pairwise distance of e."""
    d2 = ((e[:, None, :] - e[None, :, :]) ** 2).sum(-1)
    spread = np.sqrt(np.maximum(d2, 0))[np.triu_indices(len(y), 1)].mean()
    np.fill_diagonal(d2, np.inf)
    p1 = (y[d2.argmin(1)] == y).mean()
    counts = np.bincount(y)
    chance = ((counts[y] - 1) / (len(y) - 1)).mean()
    return (p1 - chance) / (1 - chance), spread


def data(name, seed):
    if name == "digits":
        x, y = load_digits(return_X_y=True)
    else:  # 20 classes in 64 features, 5 informative, weakly separated: an untrained network is near chance
        x, y = make_classification(n_samples=2000, n_features=64, n_informative=5, n_redundant=0, n_classes=20,
                                   n_clusters_per_class=1, class_sep=1.0, random_state=seed)
    x = (x - x.mean(0)) / (x.std(0) + 1e-8)
    return train_test_split(x, y, test_size=0.3, stratify=y, random_state=seed)


def train(dsn, series, dataset, dim, p, k, opt, lr, seed, with_rate):
    torch.manual_seed(seed)
    x_train, x_test, y_train, y_test = data(dataset, seed)
    x_train, x_test = torch.tensor(x_train, dtype=torch.float32), torch.tensor(x_test, dtype=torch.float32)
    y_train = torch.tensor(y_train)
    model = torch.nn.Sequential(torch.nn.Linear(x_train.shape[1], 256), torch.nn.ReLU(), torch.nn.Linear(256, 256), torch.nn.ReLU(),
                                torch.nn.Linear(256, dim))
    loss_fn, miner = losses.TripletMarginLoss(margin=0.2), miners.BatchHardMiner()
    sampler = samplers.MPerClassSampler(y_train, m=k, batch_size=p * k, length_before_new_iter=len(y_train))
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x_train, y_train), batch_size=p * k, sampler=sampler, drop_last=True)
    optimizer = (torch.optim.Adam if opt == "adam" else torch.optim.SGD)(model.parameters(), lr=lr)

    def embed():
        model.eval()
        with torch.no_grad():
            return torch.nn.functional.normalize(model(x_test), dim=1).numpy()

    truth = {}
    truth["kappa_0"], spread_0 = kappa_and_spread(embed().astype(np.float64), y_test)
    rate = dict(learning_rate=lr) if with_rate else {}
    monitor = isomine.Monitor(dsn, series, margin=0.2, optimizer=opt, classes_per_batch=p, samples_per_class=k, embedding_dim=dim, **rate)
    step = 0
    for epoch in range(1, 4):
        model.train()
        for xb, yb in loader:
            optimizer.zero_grad()
            emb = torch.nn.functional.normalize(model(xb), dim=1)
            monitor.observe(step, emb, yb)
            loss_fn(emb, yb, miner(emb, yb)).backward()
            optimizer.step()
            step += 1
        if epoch in (1, 3):
            e = embed()
            if epoch == 1:
                truth["kappa_1"], spread_1 = kappa_and_spread(e.astype(np.float64), y_test)
                truth["spread_ratio_1"] = spread_1 / spread_0
            isomine.submit(dsn, series, step, e, y_test, probe_size=len(y_test))
    monitor.close(timeout=60)
    return {k: round(float(v), 4) for k, v in truth.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dsn", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--prefix", default="first-ckpt")
    ap.add_argument("--datasets", default="digits,hard20")
    ap.add_argument("--dims", default="2,32")
    ap.add_argument("--rates", default="sgd:0.001,adam:0.05")
    ap.add_argument("--seeds", default="0,1")
    args = ap.parse_args()
    runs = []
    grid = itertools.product(args.datasets.split(","), [int(d) for d in args.dims.split(",")],
                             [(r.split(":")[0], float(r.split(":")[1])) for r in args.rates.split(",")],
                             [int(s) for s in args.seeds.split(",")], [True, False])
    for dataset, dim, (opt, lr), seed, with_rate in grid:
        series = f"{args.prefix}-{dataset}-n{dim}-{opt}{lr:g}-s{seed}-{'lr' if with_rate else 'nolr'}"
        truth = train(args.dsn, series, dataset, dim, 10, 4, opt, lr, seed, with_rate)
        runs.append(dict(series=series, dataset=dataset, embedding_dim=dim, optimizer=opt, learning_rate=lr, seed=seed,
                         monitor_given_learning_rate=with_rate, truth=truth))
        print(series, truth, flush=True)
    with open(args.out, "w") as out:
        for run in runs:
            while True:
                s = isomine.series(args.dsn, run["series"])
                if s["steps"] and all(t["state"] in ("succeeded", "failed", "dead") for t in s["steps"]):
                    break
                time.sleep(2)
            run["checkpoints"] = [{"step": t["step"], "verdict": t.get("verdict"), "headline": t.get("headline"),
                                   "precision_at_1": t.get("precision_at_1"), "reasons": t.get("reasons")} for t in s["steps"]]
            run["collapse_step"] = s.get("collapse_step")
            out.write(json.dumps(run) + "\n")
            print(run["series"], run["truth"], [c["headline"] for c in run["checkpoints"]], flush=True)


if __name__ == "__main__":
    main()
