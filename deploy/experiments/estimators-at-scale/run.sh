#!/bin/bash
# Times the estimators and prints the d_iso and d_haus ratios on each set of make_sets.py, one thread:
#   deploy/experiments/estimators-at-scale/run.sh SETS_DIR [ISOMINE_BINARY] > results.jsonl
set -euo pipefail
sets="$1"; bin="${2:-$(dirname "$0")/../../../.build/release/isomine}"
for name in probe60k probe20k blobs2000x32 blobs1500x128 blobs2000x64c100 digits1797x64 digits540x64 blobs600x64 blobs400x256; do
  [ -f "$sets/$name.npy" ] || continue
  "$bin" bench analyze --npy "$sets/$name.npy" --labels "$sets/${name}_labels.npy" --threads 1 |
    python3 -c "import json,sys; d=json.load(sys.stdin); print(json.dumps({'set': '$name', 'points': d['rows'], 'dim': d['dim'], 'estimators_seconds': d['phases_seconds']['estimators'], 'd_iso_ratio': d['d_iso']['ratio'], 'd_haus_ratio': d['d_haus']['ratio']}))"
done
# Two checkpoints of real PyTorch + PML runs (128-D) from the committed corpus.
corpus="$(dirname "$0")/../../corpus/real-runs"
for cp in digits-batch_hard-09/epoch-3 blobs-batch_hard-09/epoch-2; do
  run="${cp%%/*}"
  "$bin" bench analyze --npy "$corpus/$cp.npy" --labels "$corpus/$run/labels.npy" --threads 1 |
    python3 -c "import json,sys; d=json.load(sys.stdin); print(json.dumps({'set': '$cp', 'points': d['rows'], 'dim': d['dim'], 'estimators_seconds': d['phases_seconds']['estimators'], 'd_iso_ratio': d['d_iso']['ratio'], 'd_haus_ratio': d['d_haus']['ratio']}))"
done
