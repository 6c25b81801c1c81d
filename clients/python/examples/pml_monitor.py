"""Watch a PyTorch + pytorch-metric-learning training loop for collapse with isomine's monitor.

Every batch goes to `monitor.observe(step, embeddings, labels)` (before the optimizer step, so the first
batches are the untrained network's); a worker computes the run's step-0 collapse risk from the first
batches and reads every step's signals with isomine's warning rule; `monitor.warning` is set (and
`on_warning` called) once it warns, and this loop then stops early unless --keep-going. After each
epoch the test embeddings are also submitted as a checkpoint of the same series, so the series page
shows the per-step signals, the warning and each checkpoint's verdict together. As PML's own examples
do, the loss gets the model's raw outputs and normalises them itself (its default LpDistance()), so the
monitor and the checkpoints take their margin and `normalize=True` from the loss (isomine.from_pml).

    pip install ./clients/python torch pytorch-metric-learning scikit-learn psycopg2-binary
    python3 clients/python/examples/pml_monitor.py --dsn "$DATABASE_URL" --series pml-watch-1
    # a configuration that collapses: 2-D embeddings, batches of 10 classes × 32, Adam at 0.05
    python3 clients/python/examples/pml_monitor.py --dsn "$DATABASE_URL" --series pml-watch-2 \
        --embedding-dim 2 --classes-per-batch 10 --samples-per-class 32 --lr 0.05 --keep-going

Not run in CI (it needs torch); the monitor it uses is tested against a real database and worker.
"""
import argparse
import time

import torch
from pytorch_metric_learning import losses, miners, samplers
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import isomine


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dsn", required=True, help="PostgreSQL connection string of the isomine database")
    ap.add_argument("--series", required=True, help="series name (A-Z a-z 0-9 _ . -), one per run")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--optimizer", choices=["adam", "sgd"], default="adam")
    ap.add_argument("--embedding-dim", type=int, default=64)
    ap.add_argument("--classes-per-batch", type=int, default=8)
    ap.add_argument("--samples-per-class", type=int, default=16)
    ap.add_argument("--margin", type=float, default=0.2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep-going", action="store_true", help="train every epoch even after a warning")
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    x, y = load_digits(return_X_y=True)
    x = (x - x.mean(0)) / (x.std(0) + 1e-8)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, stratify=y, random_state=args.seed)
    x_train, x_test = torch.tensor(x_train, dtype=torch.float32), torch.tensor(x_test, dtype=torch.float32)
    y_train = torch.tensor(y_train)
    batch = args.classes_per_batch * args.samples_per_class

    model = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256), torch.nn.ReLU(),
                                torch.nn.Linear(256, args.embedding_dim))
    loss_fn = losses.TripletMarginLoss(margin=args.margin)
    miner = miners.BatchHardMiner()
    sampler = samplers.MPerClassSampler(y_train, m=args.samples_per_class, batch_size=batch, length_before_new_iter=len(y_train))
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x_train, y_train), batch_size=batch, sampler=sampler, drop_last=True)
    optimizer = (torch.optim.Adam if args.optimizer == "adam" else torch.optim.SGD)(model.parameters(), lr=args.lr)

    def embed(inputs):
        model.eval()
        with torch.no_grad():
            return model(inputs).numpy()        # raw outputs: the series judges them normalised, as the loss does

    judged = isomine.from_pml(loss_fn)          # {"margin": 0.2, "normalize": True}
    # The miner too: the step-0 risk warns for hardest-negative miners like this one, not for others.
    monitor = isomine.Monitor(args.dsn, args.series, **isomine.from_pml(loss_fn, miner), learning_rate=args.lr, optimizer=args.optimizer,
                              classes_per_batch=args.classes_per_batch, samples_per_class=args.samples_per_class,
                              embedding_dim=args.embedding_dim,
                              on_warning=lambda w: print(f"isomine warns at step {w['step']}: "
                                                         + " ".join(r["message"] for r in w.get("reasons", [])[:2])))
    isomine.submit(args.dsn, args.series, 0, embed(x_test), y_test, untrained=True, **judged)
    step, started = 0, time.monotonic()
    for epoch in range(1, args.epochs + 1):
        model.train()
        for xb, yb in loader:
            optimizer.zero_grad()
            emb = model(xb)
            monitor.observe(step, emb, yb)      # the signals of this batch (normalised), sent in the background
            loss = loss_fn(emb, yb, miner(emb, yb))
            loss.backward()
            optimizer.step()
            step += 1
        isomine.submit(args.dsn, args.series, step, embed(x_test), y_test, **judged)
        print(f"epoch {epoch} (step {step}): loss {loss.item():.4f}, {time.monotonic() - started:.1f} s")
        if monitor.warning and not args.keep_going:
            print("stopping: the run is predicted to collapse")
            break
    monitor.sync(timeout=120)
    monitor.close()
    print(f"risk: {monitor.risk and round(monitor.risk.get('risk', float('nan')), 3)}, warning: "
          f"{monitor.warning and (monitor.warning['step'], monitor.warning['source'])}")
    print(f"isomine series show {args.series}")


if __name__ == "__main__":
    main()
