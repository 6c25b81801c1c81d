-- The monitor in a user's own training loop (issue 22; clients/python's isomine.Monitor): a series can
-- carry per-step signal rows and the first batches of its untrained network with the run's settings.
-- Workers evaluate them (the warning rule on each row, the step-0 collapse risk on the batches) and
-- record collapse.warning for the series itself, once, with its reasons. Functions:
-- isomine.start_monitor and isomine.submit_signals (sql/functions).

ALTER TABLE isomine.series
    -- The settings the monitor was started with (margin, learning rate, P, K, ...): null for a series
    -- of checkpoints only.
    ADD COLUMN monitor          jsonb,
    -- The step-0 batches (stored inputs, NPY) the risk is computed from, and the first batch's step.
    ADD COLUMN risk_embeddings  text,
    ADD COLUMN risk_labels      text,
    ADD COLUMN risk_step        bigint,
    -- The worker's step-0 risk ({"risk", "threshold", "features", "reasons"}), or {"error": ...} when
    -- it could not be computed; null until a worker has read the batches.
    ADD COLUMN risk             jsonb,
    -- The highest signal step a worker has evaluated.
    ADD COLUMN signals_evaluated bigint,
    -- The warning recorded on the series itself (a monitor's: {"source", "step", "reasons", ...});
    -- warning_step says when, warning_job_id stays null for it.
    ADD COLUMN warning          jsonb;

-- One row per signal step: the trainer's per-step signals as the monitor computed them.
CREATE TABLE isomine.series_signals (
    series      text NOT NULL REFERENCES isomine.series (name) ON DELETE CASCADE,
    step        bigint NOT NULL CHECK (step >= 0),
    signals     jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (series, step)
);

-- A series' own events (a monitor's collapse.warning has no job): job_id or series names the subject.
ALTER TABLE isomine.job_events ALTER COLUMN job_id DROP NOT NULL,
    ADD COLUMN series text REFERENCES isomine.series (name) ON DELETE CASCADE,
    ADD CONSTRAINT job_events_subject CHECK (job_id IS NOT NULL OR series IS NOT NULL);
CREATE INDEX job_events_series ON isomine.job_events (series, id) WHERE series IS NOT NULL;
