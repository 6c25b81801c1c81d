-- isomine.baseline_judged_untrained: its current definition, applied by `isomine migrate` whenever this
-- file changes (see sql/functions/README.md). New with the first-step note (issue 22).
--
-- Whether step `step` of series `series_name` is the series' baseline and judged as an untrained
-- network only because it is the first step: not submitted as untrained, and no monitor's training
-- batch recorded before it. `isomine submit` and the Python client's submit() say so when such a step
-- is after 0 (a series started at a trained checkpoint, say epoch 5, never reads collapsed there).
-- Reads only what the caller may read (the client role has SELECT on these tables).
CREATE OR REPLACE FUNCTION isomine.baseline_judged_untrained(series_name text, step bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce((
        SELECT s.baseline_step = step
               AND coalesce((j.spec->>'untrained')::boolean, false) = false
               AND NOT EXISTS (SELECT 1 FROM isomine.series_signals g WHERE g.series = s.name AND g.step < step)
          FROM isomine.series s JOIN isomine.jobs j ON j.series = s.name AND j.series_step = step
         WHERE s.name = series_name), false)
$$;
