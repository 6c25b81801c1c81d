-- Stored signal rows and monitor settings as the workers read them (issue 22's bad input).
--
-- isomine.submit_signals and isomine.start_monitor stored a number as written, and one too small for a
-- double (1e-400) could not be read back: PostgreSQL's cast to double precision and Swift's JSON decoder
-- both refuse it, and the worker evaluating monitored series stopped at that series, for every series
-- behind it. They now store such a number as 0 (isomine.json_double); the rows and settings already
-- stored get the same reading here. Nothing else changes: every other number stays as it was written.
-- (A setting over 1e300, which start_monitor also let through, cannot be given a meaning here: the
-- worker records that its series cannot be read and goes on with the others.)

-- The repair of one stored object (a function of this session only: migrations keep no helpers).
CREATE FUNCTION pg_temp.tiny_numbers_as_zero(j jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_object_agg(e.key, CASE WHEN jsonb_typeof(e.value) = 'number' AND abs((e.value #>> '{}')::numeric) < 1e-300
                                        THEN to_jsonb(0) ELSE e.value END)
      FROM jsonb_each(j) e
$$;
CREATE FUNCTION pg_temp.has_tiny_number(j jsonb) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_typeof(j) = 'object' AND EXISTS (
        SELECT 1 FROM jsonb_each(j) e
         WHERE jsonb_typeof(e.value) = 'number' AND (e.value #>> '{}')::numeric <> 0 AND abs((e.value #>> '{}')::numeric) < 1e-300)
$$;

UPDATE isomine.series_signals SET signals = pg_temp.tiny_numbers_as_zero(signals) WHERE pg_temp.has_tiny_number(signals);
UPDATE isomine.series SET monitor = pg_temp.tiny_numbers_as_zero(monitor) WHERE pg_temp.has_tiny_number(monitor);
