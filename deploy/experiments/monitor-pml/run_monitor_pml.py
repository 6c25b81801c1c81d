"""Real PyTorch + pytorch-metric-learning runs watched by isomine's Python monitor (issue 22): does the
monitor warn before the runs that collapse, and stay quiet on the ones that do not?

Each run trains an MLP (inputs-256-256-n, L2-normalised embeddings) on the digits (or, with
--dataset classification20, sklearn.make_classification's 20 classes in 32 dimensions) with PML's TripletMarginLoss
(margin 0.2) and BatchHardMiner (or, with --miner, another of PML's miners or none; --tell-miner gives
the monitor the miner) on MPerClassSampler batches of P classes × K, observes every batch with
isomine.Monitor (before the optimizer step), and submits the test embeddings as checkpoints of the same
series (untrained at step 0, then every --ckpt-every epochs). A worker must be running against the
database. When every checkpoint is judged, one JSON line per run goes to --out: the settings, the
monitor's step-0 risk and warning, and each checkpoint's step and verdict.

    pip install ./clients/python torch pytorch-metric-learning scikit-learn psycopg2-binary
    python3 run_monitor_pml.py --dsn "$DATABASE_URL" --out data/runs.jsonl

None of these runs (nor this dataset with this model) was used to fit the risk model or the rule.
"""
import argparse
import itertools
import json
import time

import torch
from pytorch_metric_learning import losses, miners, samplers
from sklearn.datasets import load_digits, make_classification
from sklearn.model_selection import train_test_split

import isomine


def make_miner(name, margin):
    """PML's miner by name; None is no miner (the loss then takes every triplet of the batch)."""
    return {"batch-hard": lambda: miners.BatchHardMiner(),
            "semihard": lambda: miners.TripletMarginMiner(margin=margin, type_of_triplets="semihard"),
            "all": lambda: miners.TripletMarginMiner(margin=margin, type_of_triplets="all"),
            "multi-similarity": lambda: miners.MultiSimilarityMiner(),
            "none": lambda: None}[name]()


def train(args, dsn, series, dim, p, k, lr, optimizer_name, seed):
    torch.manual_seed(seed)
    if args.dataset == "digits":
        x, y = load_digits(return_X_y=True)
    else:  # 20 Gaussian classes in 32 dimensions, 16 of them informative (sklearn, generated offline)
        x, y = make_classification(n_samples=2000, n_features=32, n_informative=16, n_redundant=0, n_classes=20,
                                   n_clusters_per_class=1, class_sep=1.5, random_state=seed)
    x = (x - x.mean(0)) / (x.std(0) + 1e-8)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, stratify=y, random_state=seed)
    x_train, x_test = torch.tensor(x_train, dtype=torch.float32), torch.tensor(x_test, dtype=torch.float32)
    y_train = torch.tensor(y_train)
    model = torch.nn.Sequential(torch.nn.Linear(x_train.shape[1], 256), torch.nn.ReLU(), torch.nn.Linear(256, 256), torch.nn.ReLU(),
                                torch.nn.Linear(256, dim))
    loss_fn, miner = losses.TripletMarginLoss(margin=args.margin), make_miner(args.miner, args.margin)
    sampler = samplers.MPerClassSampler(y_train, m=k, batch_size=p * k, length_before_new_iter=len(y_train))
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x_train, y_train), batch_size=p * k, sampler=sampler, drop_last=True)
    optimizer = (torch.optim.Adam if optimizer_name == "adam" else torch.optim.SGD)(model.parameters(), lr=lr)

    def embed():
        model.eval()
        with torch.no_grad():
            return torch.nn.functional.normalize(model(x_test), dim=1).numpy()

    told = {"miner": isomine.from_pml(loss_fn, miner)["miner"]} if args.tell_miner else {}
    monitor = isomine.Monitor(dsn, series, margin=args.margin, learning_rate=lr, optimizer=optimizer_name,
                              classes_per_batch=p, samples_per_class=k, embedding_dim=dim, **told)
    isomine.submit(dsn, series, 0, embed(), y_test, margin=args.margin, untrained=True, probe_size=len(y_test))
    step = 0
    for epoch in range(1, args.epochs + 1):
        model.train()
        for xb, yb in loader:
            optimizer.zero_grad()
            emb = torch.nn.functional.normalize(model(xb), dim=1)
            monitor.observe(step, emb, yb)
            loss_fn(emb, yb, miner(emb, yb) if miner is not None else None).backward()
            optimizer.step()
            step += 1
        if epoch % args.ckpt_every == 0:
            isomine.submit(dsn, series, step, embed(), y_test, margin=args.margin, probe_size=len(y_test))
    monitor.close(timeout=60)
    return step


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dsn", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--prefix", default="pml-monitor")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--ckpt-every", type=int, default=4)
    ap.add_argument("--margin", type=float, default=0.2)
    ap.add_argument("--dims", default="2,16,64")
    ap.add_argument("--batches", default="8x4,10x32")
    ap.add_argument("--rates", default="adam:0.001,adam:0.05")
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--tell-miner", action="store_true", help="give the monitor the miner (isomine.from_pml(loss_fn, miner))")
    ap.add_argument("--miner", choices=["batch-hard", "semihard", "all", "multi-similarity", "none"], default="batch-hard",
                    help="PML's BatchHardMiner, TripletMarginMiner (semihard or all), MultiSimilarityMiner, or none (every triplet)")
    ap.add_argument("--dataset", choices=["digits", "classification20"], default="digits",
                    help="digits (sklearn's 8×8 digits) or classification20 (sklearn.make_classification, 20 classes)")
    args = ap.parse_args()
    runs = []
    grid = itertools.product([int(d) for d in args.dims.split(",")], [tuple(map(int, b.split("x"))) for b in args.batches.split(",")],
                             [(r.split(":")[0], float(r.split(":")[1])) for r in args.rates.split(",")], [int(s) for s in args.seeds.split(",")])
    for dim, (p, k), (opt, lr), seed in grid:
        series = f"{args.prefix}-n{dim}-p{p}k{k}-{opt}{lr:g}-s{seed}"
        started = time.monotonic()
        steps = train(args, args.dsn, series, dim, p, k, lr, opt, seed)
        runs.append(dict(series=series, miner=args.miner, told_miner=args.tell_miner, margin=args.margin, embedding_dim=dim, classes_per_batch=p, samples_per_class=k, optimizer=opt,
                         learning_rate=lr, seed=seed, steps=steps, train_seconds=round(time.monotonic() - started, 1)))
        print(series, steps, "steps", flush=True)
    with open(args.out, "w") as out:
        for run in runs:
            while True:  # every checkpoint judged, the monitor's rows and batches evaluated
                s = isomine.series(args.dsn, run["series"])
                evaluated = s.get("signals", {}).get("evaluated_step") == s.get("signals", {}).get("last_step")
                if evaluated and s.get("risk") is not None and all(t["state"] in ("succeeded", "failed", "dead") for t in s["steps"]):
                    break
                time.sleep(2)
            run.update(risk=s["risk"].get("risk"), threshold=s["risk"].get("threshold"),
                       features={k: v for k, v in s["risk"].get("features", {}).items() if k != "batches"},
                       warning_step=s.get("warning", {}).get("step") if s.get("warning") else s.get("warning_step"),
                       warning_source=(s.get("warning") or {}).get("source"),
                       checkpoints=[{"step": t["step"], "verdict": t.get("verdict"), "headline": t.get("headline")} for t in s["steps"]])
            collapsed = [t["step"] for t in run["checkpoints"] if t["verdict"] == "collapsed" and t["step"] > 0]
            run["first_collapsed_step"] = collapsed[0] if collapsed else None
            out.write(json.dumps(run) + "\n")
            print(run["series"], "risk", round(run["risk"] or 0, 3), "warning", run["warning_step"], "collapsed at", run["first_collapsed_step"], flush=True)


if __name__ == "__main__":
    main()
