-- isomine.default_margin: its current definition, applied by `isomine migrate` whenever this file changes
-- (see sql/functions/README.md). First defined here.
--
-- The margin α an analysis is judged at when its spec names none: the analyze spec's default
-- (AnalyzeSpec's `margin` field; MonitorTests.aSeriesJudgesEveryStepAtItsOneMargin holds the two
-- equal). isomine.enqueue writes it into the first step of a series submitted without a margin, so
-- that the series' later steps are judged at the same one.
CREATE OR REPLACE FUNCTION isomine.default_margin() RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$
    SELECT 0.2::double precision
$$;
