-- isomine.json_double: its current definition, applied by `isomine migrate` whenever this file changes
-- (see sql/functions/README.md). First defined here (issue 22's bad input).
--
-- A JSON number as the workers read it: a double. JSON itself bounds neither the size nor the precision
-- of a number, and jsonb keeps it as written (numeric), but every stored number is read back as a double
-- (by the workers and by the casts of the SQL that serves them), and a number a double cannot hold
-- breaks that reading: PostgreSQL's cast and Swift's JSON decoder both refuse 1e-400 rather than round
-- it. So the functions that store a client's numbers (isomine.submit_signals, isomine.start_monitor)
-- pass each through this one: NULL (the caller raises, naming the field) for anything but a number
-- within ±1e300, 0 for a number under 1e-300 in magnitude (its nearest double is 0 or, down to 5e-324,
-- a subnormal no signal or setting means; JSON parsers such as Python's read 1e-400 as 0.0), the number
-- as written otherwise (so that a resent row still equals the stored one).
CREATE OR REPLACE FUNCTION isomine.json_double(value jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN value IS NULL OR jsonb_typeof(value) <> 'number' THEN NULL
        WHEN abs((value #>> '{}')::numeric) > 1e300 THEN NULL
        WHEN abs((value #>> '{}')::numeric) < 1e-300 THEN to_jsonb(0)
        ELSE value
    END
$$;
