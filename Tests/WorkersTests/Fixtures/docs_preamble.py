# The preamble of every python block of the docs (docs/README.md, "How the examples are tested"):
# the DSN, a checkpoint, and numpy stand-ins for a PyTorch training loop's objects.
import os as _os

import numpy as _np

dsn = _os.environ["ISOMINE_DOCS_DSN"]
_rng = _np.random.default_rng(5)
labels = _np.repeat(_np.arange(8), 25)
_centres = _rng.normal(size=(8, 16)) * 3.0
epoch = 5
test_embeddings = (_centres[labels] + _rng.normal(size=(200, 16))).astype(_np.float32)
test_labels = labels
untrained_embeddings = _rng.normal(size=(200, 16)).astype(_np.float32)


class _Stand:
    """Does nothing, whatever is called on it (a loss's backward, an optimizer's step)."""
    def __call__(self, *args, **kwargs):
        return self

    def __getattr__(self, name):
        return self


def model(x):
    return x


class LpDistance:
    """pytorch-metric-learning's default distance, as isomine.from_pml reads it."""
    p, power, normalize_embeddings = 2, 1, True


class TripletMarginLoss(_Stand):
    """A stand-in for pytorch-metric-learning's TripletMarginLoss(margin=0.2): callable, and read by isomine.from_pml."""
    margin, distance = 0.2, LpDistance()


miner, loss_fn, optimizer = _Stand(), TripletMarginLoss(), _Stand()
loader = [(_centres[y] + _rng.normal(size=(32, 16)), y) for y in (_np.repeat(_np.arange(8), 4) for _ in range(6))]
