#!/usr/bin/env bash
# The test command (README quick start, and what .ci/run calls): installs missing packages, starts a
# private PostgreSQL, runs the whole suite in release mode with one BLAS thread, stops PostgreSQL.
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/install-deps.sh
eval "$(bash deploy/pg.sh start)"
trap 'bash deploy/pg.sh stop || true' EXIT
# Tests run in parallel: one BLAS thread each so they do not oversubscribe the cores.
export OPENBLAS_NUM_THREADS=1
# Release build: numeric loops are many times slower in debug; -enable-testing keeps @testable imports.
swift test -c release -Xswiftc -enable-testing "$@"
