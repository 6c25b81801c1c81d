"""Train a small embedding with PyTorch + pytorch-metric-learning and audit every epoch with isomine.

After each epoch the test embeddings are submitted as one step of a series; a worker analyses them
(verdict with reasons, retrieval metrics, certified d_iso/d_haus brackets), `isomine series show NAME`
and the series page show the trend, and a webhook fires once if the run collapses.

    pip install torch pytorch-metric-learning scikit-learn numpy psycopg2-binary
    PYTHONPATH=clients/python python3 clients/python/examples/pml_train_and_submit.py \
        --dsn "$DATABASE_URL" --series pml-digits-1 --epochs 5 [--lr 0.05 --embedding-dim 2 to provoke collapse]

Not run in CI (it needs torch); the client it uses is tested against a real database.
"""
import argparse

import numpy as np
import torch
from pytorch_metric_learning import losses, miners, samplers
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import isomine_client as isomine


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dsn", required=True, help="PostgreSQL connection string of the isomine database")
    ap.add_argument("--series", required=True, help="series name (A-Z a-z 0-9 _ . -)")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--embedding-dim", type=int, default=64)
    ap.add_argument("--margin", type=float, default=0.2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    x, y = load_digits(return_X_y=True)
    x = (x - x.mean(0)) / (x.std(0) + 1e-8)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, stratify=y, random_state=args.seed)
    x_train, x_test = torch.tensor(x_train, dtype=torch.float32), torch.tensor(x_test, dtype=torch.float32)
    y_train = torch.tensor(y_train)

    model = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256), torch.nn.ReLU(),
                                torch.nn.Linear(256, args.embedding_dim))
    loss_fn = losses.TripletMarginLoss(margin=args.margin)
    miner = miners.BatchHardMiner()
    sampler = samplers.MPerClassSampler(y_train, m=16, batch_size=128, length_before_new_iter=len(y_train))
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x_train, y_train), batch_size=128, sampler=sampler)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)

    def embed(inputs):
        model.eval()
        with torch.no_grad():
            return torch.nn.functional.normalize(model(inputs), dim=1).numpy()

    # Step 0: the untrained model, the natural baseline of the series (judged as untrained: never collapsed).
    print("epoch 0 → job", isomine.submit(args.dsn, args.series, 0, embed(x_test), y_test, margin=args.margin, untrained=True))
    for epoch in range(1, args.epochs + 1):
        model.train()
        for xb, yb in loader:
            optimizer.zero_grad()
            emb = torch.nn.functional.normalize(model(xb), dim=1)
            loss = loss_fn(emb, yb, miner(emb, yb))
            loss.backward()
            optimizer.step()
        job = isomine.submit(args.dsn, args.series, epoch, embed(x_test), y_test, margin=args.margin)
        print(f"epoch {epoch}: loss {loss.item():.4f} → job {job}")
    print(f"isomine series show {args.series}")


if __name__ == "__main__":
    main()
