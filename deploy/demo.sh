#!/usr/bin/env bash
# The main job, end to end on a fresh machine: installs missing packages, builds, and trains the
# reference config (builtin digits, batch-hard) with `isomine run`, then prints where the result is.
set -euo pipefail
cd "$(dirname "$0")/.."
isomine=$(bash deploy/build.sh)
out=${1:-out/digits-batch-hard}
"$isomine" run deploy/examples/digits-batch-hard.json --out "$out"
echo "result: $PWD/$out/result.json"
