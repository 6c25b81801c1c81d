-- Progress of a running job, for `isomine jobs list` and `jobs show`: the phase it is in (an analysis:
-- load, retrieval metrics, losses, estimators; a train run: training) and how far (0…1). Written by the
-- job's process at most once a second, fenced by its lease like every other write.
ALTER TABLE isomine.jobs ADD COLUMN phase text, ADD COLUMN phase_fraction real;
