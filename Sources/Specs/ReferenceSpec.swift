// The reference config of the trainer issue, embedded for `isomine bench trainer`.

/// The reference train spec; deploy/examples/digits-batch-hard.json holds the same JSON (a test checks).
public enum ReferenceSpec {
    public static let json = """
    {
      "kind": "train",
      "name": "digits-batch-hard",
      "seed": 0,
      "dataset": {"type": "digits"},
      "split": {"by": "instance", "test_fraction": 0.3},
      "model": {"hidden": [256, 256], "embedding_dim": 64, "normalize": true},
      "loss": {"type": "hinge", "margin": 0.2},
      "miner": "batch-hard",
      "sampler": {"classes_per_batch": 8, "samples_per_class": 16},
      "optimizer": {"type": "adam", "learning_rate": 0.001},
      "steps": 2000,
      "eval_every": 200,
      "threads": 1
    }

    """
}
