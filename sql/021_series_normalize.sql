-- A series is judged on one distance: isomine.series.normalize says whether its steps' embeddings are
-- L2-normalised before they are judged, as the run's loss measures them (pytorch-metric-learning's
-- default LpDistance() and CosineSimilarity() normalise inside the loss, so a user gives the model's raw
-- outputs and a margin on the unit sphere's scale). Seen on real PML runs: embeddings collapsed on the
-- sphere read `partial (classes overlap)` from their raw outputs, whose norms had grown to thousands.
-- isomine.enqueue gives a step without `normalize` the series' own and refuses the other;
-- isomine.start_monitor refuses a monitor that measures the other way (sql/functions). Null until the
-- series' first step or monitor says.
ALTER TABLE isomine.series ADD COLUMN normalize boolean;

-- Stored series were judged on their embeddings as given: no step or monitor could say otherwise.
UPDATE isomine.series SET normalize = false WHERE monitor IS NOT NULL OR EXISTS (SELECT 1 FROM isomine.jobs j WHERE j.series = isomine.series.name);
