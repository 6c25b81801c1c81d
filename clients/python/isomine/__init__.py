"""isomine's Python client: audit a training run's checkpoints (submit, series, metrics, job) and
watch its batches for collapse from inside your own training loop (Monitor).

    import isomine
    monitor = isomine.Monitor(dsn, "run-7", margin=0.2, learning_rate=1e-3, classes_per_batch=8, samples_per_class=4)
    monitor.observe(step, embeddings, labels)   # once per batch
    isomine.submit(dsn, "run-7", epoch, test_embeddings, test_labels, margin=0.2)   # once per checkpoint
    isomine.from_pml(loss_fn)   # {"margin", "normalize"} of a pytorch-metric-learning TripletMarginLoss
    isomine.from_pml(loss_fn, miner)   # and {"miner"}, for Monitor
"""
from .client import OPTIONS, job, metrics, npy_bytes, series, submit
from .errors import (ConnectionFailed, DriverMissing, InputTooLarge, InvalidInput, IsomineError, MonitorError,
                     PermissionDenied, SchemaMissing, StepExists)
from .monitor import Monitor
from .pml import from_pml
from .signals import FIELDS, batch_signals

__version__ = "0.2.0"
__all__ = ["Monitor", "IsomineError", "DriverMissing", "ConnectionFailed", "StepExists", "InputTooLarge", "InvalidInput",
           "PermissionDenied", "SchemaMissing", "MonitorError", "batch_signals", "FIELDS", "submit", "series", "metrics", "job", "npy_bytes", "OPTIONS", "from_pml"]
