"""Writes the docs' example checkpoint into the current folder: emb_untrained.npy (the untrained
network's: noise), emb_epoch3.npy and emb_epoch4.npy (200 × 16 float32, 8 classes of 25 points) and
labels.npy (int64). See docs/README.md."""
import numpy as np

rng = np.random.default_rng(11)
labels = np.repeat(np.arange(8), 25)
centres = rng.normal(size=(8, 16)) * 3.0
np.save("emb_untrained.npy", rng.normal(size=(200, 16)).astype(np.float32))
for epoch in (3, 4):
    np.save(f"emb_epoch{epoch}.npy", (centres[labels] + rng.normal(size=(200, 16))).astype(np.float32))
np.save("labels.npy", labels.astype(np.int64))
