"""What pytorch-metric-learning computes on a set with lone classes (classes of one point, as in LFW, a
re-ID gallery's distractors or a small random test split), for JobsTests' analysis of such a set.

    python3 make_vectors.py > vectors.json     # needs torch, pytorch-metric-learning, faiss-cpu

AccuracyCalculator(k="max_bin_count") with the query set as the reference (self excluded): a lone query
has no other member of its class and is left out of every average, while its point stays a neighbour
of the others. BatchHardMiner + TripletMarginLoss(margin 0.2, no normalisation) with MeanReducer: the
mean over anchors that have a positive and a negative (a lone anchor has none). 2-D points, rounded to
3 decimals so the test can hold them as written.
"""
import json

import numpy as np
import torch
from pytorch_metric_learning import distances, losses, miners, reducers
from pytorch_metric_learning.utils.accuracy_calculator import AccuracyCalculator

rng = np.random.default_rng(7)
paired = np.repeat(np.arange(4), 5)                # four classes of five
lone = np.arange(10, 16)                           # six classes of one
labels = np.concatenate([paired, lone])
centres = rng.normal(size=(16, 2)) * 1.5
points = np.round(centres[np.where(labels < 10, labels, labels - 6)] + rng.normal(size=(len(labels), 2)), 3)
x, y = torch.tensor(points, dtype=torch.float64), torch.tensor(labels)
acc = AccuracyCalculator(include=("precision_at_1", "r_precision", "mean_average_precision_at_r"), k="max_bin_count")
m = acc.get_accuracy(x, y)
loss = losses.TripletMarginLoss(margin=0.2, distance=distances.LpDistance(normalize_embeddings=False),
                                reducer=reducers.MeanReducer())
bh = loss(x, y, miners.BatchHardMiner(distance=distances.LpDistance(normalize_embeddings=False))(x, y)).item()
print(json.dumps({"embeddings": points.tolist(), "labels": labels.tolist(),
                  "expected": {"precision_at_1": m["precision_at_1"], "r_precision": m["r_precision"],
                               "map_at_r": m["mean_average_precision_at_r"], "batch_hard_hinge_margin_0.2_mean": bh}}))
