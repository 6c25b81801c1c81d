#!/usr/bin/env bash
# The test command (README quick start, and what .ci/run calls): installs missing packages, starts a
# private PostgreSQL, runs the whole suite in release mode with one BLAS thread, stops PostgreSQL
# (unless it was running before).
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/install-deps.sh
# Clusters that tests start for themselves (restart and outage tests) are destroyed by the test; a test
# run that was killed leaves them running. Each names the test process that owns it: remove those whose
# owner is gone (a concurrent run's clusters, whose owner lives, are left alone).
for owner in /tmp/isomine-restart-*/owner.pid; do
  [ -f "$owner" ] || continue
  if ! kill -0 "$(cat "$owner")" 2>/dev/null; then
    ISOMINE_PG_DIR="$(dirname "$owner")" bash deploy/pg.sh destroy || true
  fi
done
# A server that was already running (a developer's, with experiments against it) is left running.
if bash deploy/pg.sh running; then was_running=1; else was_running=0; fi
eval "$(bash deploy/pg.sh start)"
if [ "$was_running" = 0 ]; then trap 'bash deploy/pg.sh stop || true' EXIT; fi
# Tests run in parallel: one BLAS thread each so they do not oversubscribe the cores.
export OPENBLAS_NUM_THREADS=1
# OpenBLAS 0.3.21 gives a CPU model it does not know its generic (SSE3) kernels; `isomine` then starts
# again with OPENBLAS_CORETYPE set to the CPU's family (Linalg's BLASKernels). The test processes compute
# in-process too: give them the same family from the CPU's flags, unless it was set.
if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
  flags="$(grep -m1 '^flags' /proc/cpuinfo || true)"
  has() { [[ " $flags " == *" $1 "* ]]; }
  if has avx512f && has avx512bw && has avx512dq && has avx512vl; then export OPENBLAS_CORETYPE=SkylakeX
  elif has avx2 && has fma; then export OPENBLAS_CORETYPE=Haswell; fi
fi
# One thread per job too (a spec without `threads` would otherwise take every core).
export ISOMINE_JOB_THREADS=1
# Release build: numeric loops are many times slower in debug; -enable-testing keeps @testable imports.
# A watchdog: a run that has not ended in ISOMINE_TEST_TIMEOUT seconds (default 50 min; the suite takes
# about 5) is stopped, and the tests that started but never ended are named, instead of a silent hang.
log="$(mktemp)"
set +e
# Line-buffered (stdbuf reaches the test binary through its environment) so that a stopped run's log
# still holds every line the tests printed.
timeout --kill-after=30s "${ISOMINE_TEST_TIMEOUT:-3000}" stdbuf -oL -eL swift test -c release -Xswiftc -enable-testing "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
if [ "$status" = 124 ] || [ "$status" = 137 ]; then
    echo "test run stopped after ${ISOMINE_TEST_TIMEOUT:-3000} s; tests started and not ended:"
    started="$(sed -n 's/^.*◇ Test \(.*)\) started\.$/\1/p' "$log" | sort -u)"
    ended="$(sed -n 's/^.*[✔✘] Test \(.*)\) .*\(passed\|failed\).*$/\1/p' "$log" | sort -u)"
    comm -23 <(echo "$started") <(echo "$ended") | sed 's/^/  /'
    # Processes the killed tests had started (workers, receivers) do not outlive the run.
    pkill -KILL -f "$PWD/.build/" || true
fi
rm -f "$log"
exit "$status"
