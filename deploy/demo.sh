#!/usr/bin/env bash
# The main job, end to end on a fresh machine: installs missing packages, builds, starts a private
# PostgreSQL, migrates, enqueues the reference digits training (batch-hard) and the paper-toy
# analysis, runs a worker until the queue is empty, and prints where the results are.
set -euo pipefail
cd "$(dirname "$0")/.."
isomine=$(bash deploy/build.sh)
eval "$(bash deploy/pg.sh start)"
"$isomine" migrate
train=$("$isomine" enqueue train deploy/examples/digits-batch-hard.json)
analyze=$("$isomine" enqueue analyze deploy/examples/analyze-toy20.json)
"$isomine" worker --exit-when-idle
"$isomine" jobs list --limit 10
mkdir -p out
"$isomine" jobs show "$train" > "out/job-$train.json"
"$isomine" jobs show "$analyze" > "out/job-$analyze.json"
echo
echo "results: $PWD/out/job-$train.json (digits training, result under \"result\")"
echo "         $PWD/out/job-$analyze.json (toy20 analysis)"
echo "metrics: DATABASE_URL='$DATABASE_URL' $isomine metrics $train"
echo "PostgreSQL stays up for queries; stop it with deploy/pg.sh stop"
