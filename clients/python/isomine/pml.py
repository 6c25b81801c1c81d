"""The margin and the normalisation isomine judges a run at, read from its pytorch-metric-learning loss.

isomine reads Euclidean distances against a triplet margin α. `TripletMarginLoss(margin=m, distance=...)`
measures in other units for some distances, and normalises the embeddings inside the loss for most:

    LpDistance()                 Euclidean, normalised           α = m,      normalize = True
    LpDistance(power=2)          squared Euclidean               α = √m      (d_ap² − d_an² + m: the hinge at collapse is m)
    LpDistance(normalize_embeddings=False)                       normalize = False
    CosineSimilarity()           s = 1 − d²/2 on unit vectors    α = √(2m),  normalize = True
                                 (s_an − s_ap + m = (d_ap² − d_an² + 2m)/2)
    DotProductSimilarity()       the cosine when it normalises (its default); refused when it does not

    monitor = isomine.Monitor(dsn, "run-7", **isomine.from_pml(loss_fn, miner), learning_rate=1e-3, ...)
    isomine.submit(dsn, "run-7", epoch, model(x_test), y_test, **isomine.from_pml(loss_fn))

Given the miner too (the object passed to the loss, or None for none), the dict also has the monitor's
`miner`, in isomine's names:

    BatchHardMiner()                                        batch-hard
    BatchEasyHardMiner(pos_strategy=EASY, neg_strategy=HARD) easy-positive (HARD, HARD: batch-hard)
    TripletMarginMiner(type_of_triplets="semihard")         semi-hard (every triplet in the margin band)
    TripletMarginMiner(type_of_triplets="all"), None        batch-all (every triplet the loss counts)
    any other (MultiSimilarityMiner, ...)                   other

Nothing of pytorch-metric-learning is imported: the loss and its distance are read by their class names
and attributes (`margin`, `distance.p`, `distance.power`, `distance.normalize_embeddings`,
`type_of_triplets`, `pos_strategy`, `neg_strategy`).
"""
import math

from .errors import InvalidInput

__all__ = ["from_pml", "miner_name"]


_UNSET = object()


def from_pml(loss, miner=_UNSET):
    """{"margin": α, "normalize": bool} for a pytorch-metric-learning TripletMarginLoss: the margin in
    Euclidean units and whether its distance L2-normalises the embeddings (pass the model's raw outputs
    then; isomine normalises them as the loss does). With `miner` (the PML miner given to the loss, or
    None for none) also {"miner": name} for `Monitor` (see the table above; `submit` takes no miner).
    Raises ValueError (InvalidInput) for a loss or a distance isomine cannot read on Euclidean
    distances, naming it."""
    settings = _loss_settings(loss)
    if miner is not _UNSET:
        settings["miner"] = miner_name(miner)
    return settings


def miner_name(miner):
    """isomine's name for a pytorch-metric-learning miner (None: the loss takes every triplet), or "other"."""
    if miner is None:
        return "batch-all"
    kind = type(miner).__name__
    if kind == "BatchHardMiner":
        return "batch-hard"
    if kind == "BatchEasyHardMiner":
        strategies = (str(getattr(miner, "pos_strategy", "")).lower(), str(getattr(miner, "neg_strategy", "")).lower())
        return {("easy", "hard"): "easy-positive", ("hard", "hard"): "batch-hard"}.get(strategies, "other")
    if kind == "TripletMarginMiner":
        return {"semihard": "semi-hard", "all": "batch-all"}.get(getattr(miner, "type_of_triplets", None), "other")
    return "other"


def _loss_settings(loss):
    name = type(loss).__name__
    if name != "TripletMarginLoss" or not hasattr(loss, "margin") or not hasattr(loss, "distance"):
        raise InvalidInput(f"from_pml reads a TripletMarginLoss (its hinge margin and its distance), got {name}; "
                           "pass margin= (in Euclidean distance units) and normalize= yourself")
    m = loss.margin
    if isinstance(m, bool) or not isinstance(m, (int, float)) or not math.isfinite(m) or m <= 0:
        raise InvalidInput(f"the loss's margin is {m!r}; isomine judges distances against a positive margin")
    distance = loss.distance
    kind = type(distance).__name__
    normalize = bool(getattr(distance, "normalize_embeddings", False))
    p, power = getattr(distance, "p", 2), getattr(distance, "power", 1)
    if kind in ("CosineSimilarity", "DotProductSimilarity"):
        if not normalize:
            raise InvalidInput(f"{kind}(normalize_embeddings=False) is a dot product of raw embeddings, not a distance "
                               "isomine can read; pass margin= and normalize= yourself if you know their Euclidean equivalent")
        return {"margin": math.sqrt(2 * m), "normalize": True}
    if kind != "LpDistance":
        raise InvalidInput(f"the loss measures with {kind}, which isomine cannot read on Euclidean distances; "
                           "pass margin= (in Euclidean units) and normalize= yourself")
    if p != 2:
        raise InvalidInput(f"the loss measures L{p} distances (LpDistance(p={p})); isomine reads Euclidean (L2) distances")
    if power == 1:
        return {"margin": float(m), "normalize": normalize}
    if power == 2:
        return {"margin": math.sqrt(m), "normalize": normalize}
    raise InvalidInput(f"the loss measures L2 distances to the power {power} (LpDistance(power={power})); "
                       "isomine reads the margin of powers 1 and 2")
