"""The per-step collapse signals of one batch, computed exactly as isomine's trainer computes them
(`StepSignals.batch` in Sources/Trainer/BatchSignals.swift; a test holds the two within 1e-6):
batch-hard mining with the hinge triplet loss at margin α on Euclidean distances, the batch's mean
pairwise distance against a reference batch's, the mean row norm and the effective rank."""
import math

import numpy as np

from .errors import InvalidInput

#: The fields of a signal row, as isomine.submit_signals takes them.
FIELDS = ("step", "loss", "loss_ratio", "active_fraction", "mean_positive", "mean_negative", "gap",
          "batch_spread", "batch_spread_ratio", "output_norm", "effective_rank")


def to_numpy(value):
    """Any array-like as a numpy array: torch tensors are detached and moved to the CPU first; a
    tensor of a dtype numpy has no counterpart for (bfloat16, what bf16 mixed precision produces) is
    widened to float32 first, exactly."""
    if hasattr(value, "detach"):
        value = value.detach().cpu()
        if str(getattr(value, "dtype", "")) == "torch.bfloat16":
            value = value.float()
        value = value.numpy()
    return np.asarray(value)


def as_array(embeddings):
    """Embeddings (B, D) as float64: numpy arrays, torch tensors or lists."""
    x = to_numpy(embeddings)
    if x.ndim != 2:
        raise InvalidInput(f"embeddings must be a 2-D array (batch, dimension), got shape {x.shape}")
    if not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer)):
        raise InvalidInput(f"embeddings must be numbers, got dtype {x.dtype}")
    if x.shape[1] == 0:
        raise InvalidInput(f"embeddings have no dimensions (shape {x.shape}): pass the model's output, one row per sample")
    return x.astype(np.float64)


def as_labels(labels, rows):
    """Labels (B,) as int64, checked against the embeddings' rows."""
    y = to_numpy(labels)
    if y.ndim != 1:
        raise InvalidInput(f"labels must be a 1-D array (batch,), got shape {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        raise InvalidInput(f"labels must be integers, got dtype {y.dtype}")
    if len(y) != rows:
        raise InvalidInput(f"embeddings have {rows} rows but labels have {len(y)}; they must be the same batch")
    return y.astype(np.int64)


def check_batch(x, y):
    """Raises ValueError naming what makes the batch unreadable: non-finite values, one class, no positive pair."""
    check_values(x)
    problem = class_problem(y)
    if problem is not None:
        raise InvalidInput(problem)


def check_values(x):
    """Raises ValueError when the embeddings hold NaN, infinity, or values whose squared distances overflow."""
    bad = ~np.isfinite(x)
    if bad.any():
        row = int(np.argwhere(bad)[0][0])
        raise InvalidInput(f"embeddings contain NaN or infinity (first at row {row}): the run has diverged, or the batch is not embeddings")
    # Squared distances of embeddings this large overflow a double (the signals would be inf or NaN,
    # and the effective rank's eigensolver fails on them): named here, before any of it is computed.
    largest = float(np.abs(x).max()) if x.size else 0.0
    if largest > 1e150:
        raise InvalidInput(f"embeddings of magnitude up to {largest:.3g} overflow their squared distances (above 1e150): "
                           "the run has diverged, or the batch is not embeddings")


def class_problem(y):
    """Why batch-hard mining has nothing to mine in a batch of labels `y` (one class, or no class with two
    points), or None."""
    classes, counts = np.unique(y, return_counts=True)
    if len(classes) < 2:
        return (f"the batch has one class ({classes[0] if len(classes) else 'none'}): batch-hard mining needs at least two "
                "classes per batch (sample P classes × K points, e.g. PML's MPerClassSampler)")
    if counts.max() < 2:
        return "no class has two points in the batch: there is no positive pair to mine (sample K ≥ 2 points per class)"
    return None


#: Most distances one block of anchors holds (4M doubles, 32 MB).
_BLOCK_ELEMENTS = 1 << 22


def _distance_rows(x, norms, r0, r1):
    """Distances from rows r0..r1 of x to every row: the trainer's |x_i|² + |x_j|² − 2⟨x_i, x_j⟩,
    clamped at 0, 0 to the row itself."""
    sq = norms[r0:r1, None] + norms[None, :] - 2.0 * (x[r0:r1] @ x.T)
    np.maximum(sq, 0.0, out=sq)
    sq[np.arange(r1 - r0), np.arange(r0, r1)] = 0.0
    return np.sqrt(sq, out=sq)


def effective_rank(x):
    """exp of the spectral entropy of the batch's covariance (0 for fewer than two rows)."""
    if x.shape[0] < 2:
        return 0.0
    c = x - x.mean(axis=0)
    m = c @ c.T if x.shape[0] < x.shape[1] else c.T @ c
    values = np.maximum(np.linalg.eigvalsh(m), 0.0)
    total = values.sum()
    if total <= 0:
        return 0.0
    p = values[values > 0] / total
    return float(math.exp(-(p * np.log(p)).sum()))


def normalized(x):
    """Each row of x divided by its Euclidean norm, as torch's F.normalize (and so pytorch-metric-learning's
    LpDistance() and CosineSimilarity()) does it: a zero row stays zero (the norm is taken as at least 1e-12)."""
    scale = np.abs(x).max(axis=1, keepdims=True)
    scale[scale == 0] = 1.0
    n = np.sqrt(np.einsum("ij,ij->i", x / scale, x / scale))[:, None] * scale
    return x / np.maximum(n, 1e-12)


def sphere_spread(x, rows=64):
    """The mean pairwise distance of at most `rows` evenly spaced rows of x, L2-normalised (zero rows left
    out): what a loss that normalises the embeddings measures of the batch (None for fewer than two rows)."""
    keep = x[np.abs(x).max(axis=1) > 0] if x.size else x
    if keep.shape[0] < 2:
        return None
    u = normalized(keep[:: max(1, -(-keep.shape[0] // rows))])
    n = u.shape[0]
    d2 = np.maximum(2.0 - 2.0 * (u @ u.T), 0.0)
    return float(np.sqrt(d2[np.triu_indices(n, 1)]).mean())


def batch_signals(embeddings, labels, margin, reference_spread=0.0, step=0, normalize=False):
    """The signal row of one batch as a dict (FIELDS). `reference_spread` is the first batch's
    `batch_spread` (0 for the first batch itself, whose ratio is then 1). With `normalize`, the rows are
    L2-normalised first, as the loss's distance does, and `output_norm` is the raw rows' mean norm (as
    the trainer's, the network output's before normalisation)."""
    x = as_array(embeddings)
    y = as_labels(labels, x.shape[0])
    check_batch(x, y)
    if not (margin > 0 and math.isfinite(margin)):
        raise InvalidInput(f"margin must be a positive number, got {margin}")
    b = x.shape[0]
    output_norm = None
    if normalize:
        output_norm = float(np.sqrt(np.einsum("ij,ij->i", x, x)).mean()) if b else 0.0
        x = normalized(x)
    norms = np.einsum("ij,ij->i", x, x)
    # Anchors in blocks of rows, so that no B × B matrix is held (at B = 4,096 a handful of them would be
    # several hundred MB inside the training process): each block's distances to the whole batch give
    # its hardest positive (farthest, first of equals) and hardest negative (nearest, first of equals).
    rows = max(1, min(b, _BLOCK_ELEMENTS // max(b, 1)))
    dp_all, dn_all = np.empty(b), np.empty(b)
    valid = np.zeros(b, dtype=bool)
    total = 0.0
    for r0 in range(0, b, rows):
        r1 = min(b, r0 + rows)
        d = _distance_rows(x, norms, r0, r1)
        same = y[r0:r1, None] == y[None, :]
        same[np.arange(r1 - r0), np.arange(r0, r1)] = False
        other = y[r0:r1, None] != y[None, :]
        valid[r0:r1] = same.any(axis=1) & other.any(axis=1)
        dp_all[r0:r1] = np.where(same, d, -np.inf).max(axis=1)
        dn_all[r0:r1] = np.where(other, d, np.inf).min(axis=1)
        total += float(d.sum())
    dp, dn = dp_all[valid], dn_all[valid]
    triplets = int(valid.sum())
    m = dp - dn + margin
    loss = float(np.maximum(m, 0.0).sum() / triplets) if triplets else 0.0
    pos = float(dp.sum() / triplets) if triplets else 0.0
    neg = float(dn.sum() / triplets) if triplets else 0.0
    # The mean over pairs i < j: the distances are symmetric with a zero diagonal, so half their sum.
    spread = total / 2 / max(b * (b - 1) // 2, 1)
    reference = reference_spread if reference_spread > 0 else spread
    return {
        "step": int(step), "loss": loss, "loss_ratio": loss / margin,
        "active_fraction": float((m > 0).sum() / triplets) if triplets else 0.0,
        "mean_positive": pos, "mean_negative": neg, "gap": neg - pos,
        "batch_spread": spread, "batch_spread_ratio": spread / reference if reference > 0 else 0.0,
        "output_norm": output_norm if output_norm is not None else (float(np.sqrt(norms).mean()) if b else 0.0),
        "effective_rank": effective_rank(x),
    }
