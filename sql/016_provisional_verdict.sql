-- A quick verdict first (issue 23): an analysis records its provisional verdict — from retrieval, the
-- spread and the separation, before the f* search — on its job row as soon as it has it; the final
-- verdict is the result's. Events come from the result only. series_json and `jobs show` read both.
ALTER TABLE isomine.jobs
    -- {"verdict", "headline", "diagnosis", "precision_at_1", "map_at_r", "relative_spread", "l_hard",
    -- "seconds"}: null until the analysis has it (train and sweep jobs never do).
    ADD COLUMN provisional    jsonb,
    -- When it was recorded (its latency: provisional_at − started_at).
    ADD COLUMN provisional_at timestamptz;
