"""isomine.from_pml on stand-ins for pytorch-metric-learning's losses and distances (torch is not installed
in CI; from_pml reads class names and attributes only, and was checked by hand against PML 2.9's own
objects). Prints, as JSON, {case: settings or "ValueError: message"}.

    python3 pml_settings.py
"""
import json

import isomine


class LpDistance:
    def __init__(self, p=2, power=1, normalize_embeddings=True):
        self.p, self.power, self.normalize_embeddings = p, power, normalize_embeddings


class CosineSimilarity(LpDistance):
    pass


class DotProductSimilarity(LpDistance):
    pass


class SNRDistance(LpDistance):
    pass


class TripletMarginLoss:
    def __init__(self, margin=0.05, distance=None):
        self.margin, self.distance = margin, distance or LpDistance()


class ContrastiveLoss:
    pos_margin, neg_margin = 0, 1


class BatchHardMiner:
    pass


class BatchEasyHardMiner:
    def __init__(self, pos_strategy="easy", neg_strategy="hard"):
        self.pos_strategy, self.neg_strategy = pos_strategy, neg_strategy


class TripletMarginMiner:
    def __init__(self, type_of_triplets="all"):
        self.type_of_triplets = type_of_triplets


class MultiSimilarityMiner:
    pass


out = {}
for case, loss in [("default", TripletMarginLoss()), ("lp", TripletMarginLoss(0.2)), ("squared", TripletMarginLoss(0.2, LpDistance(power=2))),
                   ("raw", TripletMarginLoss(0.2, LpDistance(normalize_embeddings=False))), ("cosine", TripletMarginLoss(0.2, CosineSimilarity())),
                   ("dot", TripletMarginLoss(0.2, DotProductSimilarity())), ("dot_raw", TripletMarginLoss(0.2, DotProductSimilarity(normalize_embeddings=False))),
                   ("l1", TripletMarginLoss(0.2, LpDistance(p=1))), ("cube", TripletMarginLoss(0.2, LpDistance(power=3))),
                   ("snr", TripletMarginLoss(0.2, SNRDistance())), ("zero_margin", TripletMarginLoss(0.0)), ("contrastive", ContrastiveLoss())]:
    try:
        out[case] = isomine.from_pml(loss)
    except ValueError as e:
        out[case] = f"{type(e).__name__}: {e}"
# With the miner given to the loss: isomine's name for it, for Monitor (None: the loss takes every triplet).
for case, miner in [("batch_hard", BatchHardMiner()), ("easy_hard", BatchEasyHardMiner()), ("hard_hard", BatchEasyHardMiner("hard", "hard")),
                    ("semi_easy", BatchEasyHardMiner("semihard", "easy")), ("semihard", TripletMarginMiner("semihard")),
                    ("all", TripletMarginMiner("all")), ("hard", TripletMarginMiner("hard")), ("none", None),
                    ("multi_similarity", MultiSimilarityMiner())]:
    out["miner_" + case] = isomine.from_pml(TripletMarginLoss(0.2), miner)
print(json.dumps(out))
