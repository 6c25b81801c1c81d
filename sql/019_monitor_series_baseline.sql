-- A monitored series' baseline is its first checkpoint, as a series of checkpoints' is (issue 22).
--
-- isomine.start_monitor made the series with baseline_step = the monitor's first step (0 by default),
-- although no checkpoint was submitted at that step. A user who then submitted checkpoints from epoch 1
-- on (no untrained step 0) had every one of them fail: "the baseline step of series … was not
-- submitted". A series now has no baseline until its first checkpoint (NULL), which isomine.enqueue
-- then sets, as it does for a new series; a named baseline_step still wins.
ALTER TABLE isomine.series ALTER COLUMN baseline_step DROP NOT NULL;

-- The series start_monitor made: the baseline it set, where no checkpoint was submitted at that step,
-- becomes the first checkpoint submitted (NULL when there is none). A baseline a submission named
-- (another step) is left alone.
UPDATE isomine.series s
   SET baseline_step = (SELECT j.series_step FROM isomine.jobs j WHERE j.series = s.name ORDER BY j.id LIMIT 1)
 WHERE s.monitor IS NOT NULL
   AND s.baseline_step = coalesce((s.monitor->>'first_step')::bigint, 0)
   AND NOT EXISTS (SELECT 1 FROM isomine.jobs j WHERE j.series = s.name AND j.series_step = s.baseline_step);
