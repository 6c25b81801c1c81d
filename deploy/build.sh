#!/usr/bin/env bash
# Installs missing packages and builds isomine in release mode; prints the binary's path.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/install-deps.sh
swift build -c release >&2
echo "$(swift build -c release --show-bin-path)/isomine"
