"""Raw model outputs into a loss that normalises them, on real PyTorch + pytorch-metric-learning runs: what
does isomine read when given the outputs PML's own examples give the loss, with and without `normalize`?

Each run trains an MLP (64-256-256-n) on the digits with PML's TripletMarginLoss (margin 0.2, its default
LpDistance(), which L2-normalises inside the loss) and BatchHardMiner on MPerClassSampler batches (10
classes × 4), passing the model's raw outputs to the loss as PML's README does. Every batch is observed by
two monitors (raw outputs, without and with normalize=True), and the test embeddings are submitted at
epochs 0 (untrained), 1, 2 and 3 to three series: raw outputs as given, raw outputs with normalize=True,
and outputs normalised by hand. The truth each reading is compared with is the normalised test set's own
(leave-one-out P@1, mean pairwise distance over α): what the loss measures. A worker must run against the
database.

    pip install ./clients/python torch pytorch-metric-learning scikit-learn psycopg2-binary
    python3 run_raw_outputs.py --dsn "$DATABASE_URL" --out data/runs.jsonl
"""
import argparse
import itertools
import json
import time

import numpy as np
import torch
from pytorch_metric_learning import losses, miners, samplers
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import isomine


def truth(e, y, margin):
    """Leave-one-out 1-NN P@1 and the mean pairwise distance over α of e L2-normalised, and e's mean norm."""
    n = e / np.linalg.norm(e, axis=1, keepdims=True)
    d2 = np.maximum(((n[:, None, :] - n[None, :, :]) ** 2).sum(-1), 0)
    spread = np.sqrt(d2)[np.triu_indices(len(y), 1)].mean()
    np.fill_diagonal(d2, np.inf)
    return {"p1": float((y[d2.argmin(1)] == y).mean()), "spread_over_margin": float(spread / margin),
            "raw_norm": float(np.linalg.norm(e, axis=1).mean())}


def train(dsn, prefix, dim, lr, seed, margin=0.2, p=10, k=4):
    torch.manual_seed(seed)
    x, y = load_digits(return_X_y=True)
    x = (x - x.mean(0)) / (x.std(0) + 1e-8)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, stratify=y, random_state=seed)
    x_train, x_test = torch.tensor(x_train, dtype=torch.float32), torch.tensor(x_test, dtype=torch.float32)
    y_train = torch.tensor(y_train)
    model = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256), torch.nn.ReLU(),
                                torch.nn.Linear(256, dim))
    loss_fn, miner = losses.TripletMarginLoss(margin=margin), miners.BatchHardMiner()
    sampler = samplers.MPerClassSampler(y_train, m=k, batch_size=p * k, length_before_new_iter=len(y_train))
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x_train, y_train), batch_size=p * k, sampler=sampler, drop_last=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    series = {"as_given": f"{prefix}-given", "normalize": f"{prefix}-normalize", "by_hand": f"{prefix}-by-hand"}
    settings = dict(margin=margin, learning_rate=lr, optimizer="adam", classes_per_batch=p, samples_per_class=k, embedding_dim=dim)
    monitors = {"as_given": isomine.Monitor(dsn, f"{prefix}-monitor-given", **settings),
                "normalize": isomine.Monitor(dsn, f"{prefix}-monitor-normalize", normalize=True, **settings)}

    def checkpoint(step):
        model.eval()
        with torch.no_grad():
            e = model(x_test).numpy().astype(np.float64)
        model.train()
        untrained = dict(untrained=True) if step == 0 else {}
        isomine.submit(dsn, series["as_given"], step, e, y_test, margin=margin, **untrained)
        isomine.submit(dsn, series["normalize"], step, e, y_test, margin=margin, normalize=True, **untrained)
        isomine.submit(dsn, series["by_hand"], step, e / np.linalg.norm(e, axis=1, keepdims=True), y_test, margin=margin, **untrained)
        return dict(step=step, **truth(e, y_test, margin))

    truths = [checkpoint(0)]
    step = 0
    for _ in range(3):
        for xb, yb in loader:
            optimizer.zero_grad()
            emb = model(xb)                      # raw outputs, as PML's examples give the loss
            for m in monitors.values():
                m.observe(step, emb, yb)
            loss_fn(emb, yb, miner(emb, yb)).backward()
            optimizer.step()
            step += 1
        truths.append(checkpoint(step))
    for m in monitors.values():
        m.close(timeout=60)
    return series, {name: f"{prefix}-monitor-{'given' if name == 'as_given' else 'normalize'}" for name in monitors}, truths


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dsn", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--prefix", default="raw-out")
    ap.add_argument("--dims", default="2,3,32")
    ap.add_argument("--rates", default="0.05,0.001")
    ap.add_argument("--seeds", default="0,1")
    args = ap.parse_args()
    runs = []
    for dim, lr, seed in itertools.product([int(d) for d in args.dims.split(",")], [float(r) for r in args.rates.split(",")],
                                           [int(s) for s in args.seeds.split(",")]):
        prefix = f"{args.prefix}-n{dim}-adam{lr:g}-s{seed}"
        series, monitors, truths = train(args.dsn, prefix, dim, lr, seed)
        runs.append(dict(prefix=prefix, embedding_dim=dim, learning_rate=lr, seed=seed, series=series, monitors=monitors, truth=truths))
        print(prefix, truths[-1], flush=True)
    with open(args.out, "w") as out:
        for run in runs:
            run["readings"] = {}
            for name, s in run["series"].items():
                while True:
                    got = isomine.series(args.dsn, s)
                    if got["steps"] and all(t["state"] in ("succeeded", "failed", "dead") for t in got["steps"]):
                        break
                    time.sleep(2)
                run["readings"][name] = [{"step": t["step"], "headline": t.get("headline"), "context": t.get("context")} for t in got["steps"]]
            run["monitor_warnings"] = {}
            for name, s in run["monitors"].items():
                got = isomine.series(args.dsn, s)
                run["monitor_warnings"][name] = {"warning_step": got.get("warning_step"),
                                                 "risk": (got.get("risk") or {}).get("risk") if isinstance(got.get("risk"), dict) else None}
            out.write(json.dumps(run) + "\n")
            print(run["prefix"], {n: [r["headline"] for r in v] for n, v in run["readings"].items()}, run["monitor_warnings"], flush=True)


if __name__ == "__main__":
    main()
