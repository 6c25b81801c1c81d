#!/usr/bin/env bash
# The main job, end to end on a fresh machine: installs missing packages, builds, starts a private
# PostgreSQL, migrates, enqueues the reference digits training (batch-hard), the paper-toy analysis
# and the small digits collapse sweep, feeds a generated training loop to the Python monitor (numpy
# only), runs two workers until the queue is empty and the monitored series is judged, and prints
# where the results and the HTML reports are.
set -euo pipefail
cd "$(dirname "$0")/.."
isomine=$(bash deploy/build.sh)
eval "$(bash deploy/pg.sh start)"
export ISOMINE_REPORTS_ROOT=${ISOMINE_REPORTS_ROOT:-$PWD/reports}
"$isomine" migrate
# A reports folder belongs to one database: if an earlier demo's cluster was destroyed, keep its
# pages aside instead of letting the worker refuse the folder.
owner="$ISOMINE_REPORTS_ROOT/.isomine-database"
instance=$(/usr/lib/postgresql/15/bin/psql -XAtc "SELECT id FROM isomine.instance" "$DATABASE_URL")
if [ -f "$owner" ] && [ "$(tr -d '[:space:]' < "$owner")" != "$instance" ]; then
  aside="$ISOMINE_REPORTS_ROOT.earlier-$(date +%Y%m%d-%H%M%S)"
  mv "$ISOMINE_REPORTS_ROOT" "$aside"
  echo "note: the reports of an earlier database were moved to $aside"
fi
train=$("$isomine" enqueue train deploy/examples/digits-batch-hard.json)
analyze=$("$isomine" enqueue analyze deploy/examples/analyze-toy20.json)
sweep=$("$isomine" enqueue sweep deploy/examples/sweep-digits.json)
# Your own training loop, watched batch by batch (clients/python; a generated run that collapses).
monitored="demo-monitored-$(date +%Y%m%d-%H%M%S)"
PYTHONPATH=clients/python /usr/bin/python3 clients/python/examples/monitor_generated.py "$DATABASE_URL" "$monitored" collapsing
# Two job threads with one thread each (the examples set threads 1): one per core. Its log (stderr,
# kept in out/worker.log too) names each job it claims and ends, each event it records and each
# webhook it delivers.
mkdir -p out
since=$(/usr/lib/postgresql/15/bin/psql -XAtc "SELECT now()" "$DATABASE_URL")
"$isomine" worker --concurrency 2 --exit-when-idle 2>&1 | tee out/worker.log
"$isomine" jobs list --hide-runs --limit 5
# Every job the worker ran has its line in the log.
ran=$(/usr/lib/postgresql/15/bin/psql -XAtc "SELECT id FROM isomine.jobs WHERE started_at >= '$since' ORDER BY id" "$DATABASE_URL")
unnamed=$(for id in $ran; do grep -q "job=$id .*claimed$" out/worker.log || echo "$id"; done)
if [ -n "$unnamed" ]; then echo "warning: the worker's log does not name jobs $(echo $unnamed)"; else echo "worker log: $PWD/out/worker.log (names each of the $(echo $ran | wc -w) jobs it ran)"; fi
for id in "$train" "$analyze" "$sweep"; do "$isomine" jobs show "$id" > "out/job-$id.json"; done
echo
echo "sweep $sweep (hard mining on digits: collapse rate per batch size and embedding dimension):"
"$isomine" jobs show "$sweep" --cells
echo
echo "a training loop watched by the monitor (warned before its first collapsed checkpoint):"
"$isomine" series show "$monitored"
echo
echo "results: $PWD/out/job-$train.json (digits training, result under \"result\")"
echo "         $PWD/out/job-$analyze.json (toy20 analysis)"
echo "         $PWD/out/job-$sweep.json (the sweep; its 36 runs: $isomine jobs list --parent $sweep)"
echo "metrics: DATABASE_URL='$DATABASE_URL' $isomine metrics $train"
echo "PostgreSQL stays up for queries; stop it with deploy/pg.sh stop"
echo
echo "reports: $ISOMINE_REPORTS_ROOT/index.html (open it in a browser: every job, with links to its report)"
