#!/usr/bin/env bash
# Makes the corpus of real training runs: a venv with torch, pytorch-metric-learning and scikit-learn
# (CPU wheels; not needed by CI or the tests), then deploy/corpus/make_real_runs.py into OUT_DIR
# (default deploy/corpus/real-runs, the corpus committed with it). A few minutes on 2 cores.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/real-runs}"
venv="${CORPUS_VENV:-$here/../../.tmp/corpus-venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q torch pytorch-metric-learning scikit-learn
fi
exec "$venv/bin/python" "$here/make_real_runs.py" --out "$out" --threads 1
