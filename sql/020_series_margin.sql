-- A series is one run, trained at one margin α: isomine.series.margin is the margin its steps are
-- judged at (issue 22, a monitored series' checkpoints).
--
-- A checkpoint submitted without `margin` was judged at the analyze default (0.2) even when the series'
-- monitor read the training loop at the margin the user gave it (PML's TripletMarginLoss default is
-- 0.05: four times off on the verdict's own scale), and a step naming another margin than the series'
-- earlier steps was taken, so one series' verdicts could rest on several scales. isomine.enqueue now
-- gives a step without a margin the series' own and refuses another; isomine.start_monitor refuses a
-- monitor at another margin than the series' checkpoints (sql/functions).
ALTER TABLE isomine.series ADD COLUMN margin double precision CHECK (margin > 0);

-- Stored series: their monitor's margin, else their first step's as it was judged (a step without a
-- margin was judged at the analyze default of the time, 0.2). Series whose steps already disagree keep
-- them; their first step's margin is the series' from now on.
UPDATE isomine.series s
   SET margin = coalesce(
       CASE WHEN jsonb_typeof(s.monitor->'margin') = 'number' AND (s.monitor->>'margin')::numeric > 0
                 AND (s.monitor->>'margin')::numeric < 1e300 THEN (s.monitor->>'margin')::float8 END,
       (SELECT CASE WHEN NOT j.spec ? 'margin' THEN 0.2
                    WHEN jsonb_typeof(j.spec->'margin') = 'number' AND (j.spec->>'margin')::numeric > 0
                         AND (j.spec->>'margin')::numeric < 1e300 THEN (j.spec->>'margin')::float8 END
          FROM isomine.jobs j WHERE j.series = s.name ORDER BY j.id LIMIT 1));
