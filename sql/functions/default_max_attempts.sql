-- isomine.default_max_attempts: its current definition, applied by `isomine migrate` whenever this file changes
-- (see sql/functions/README.md). Last defined by 003_max_attempts.sql before it moved here.
CREATE OR REPLACE FUNCTION isomine.default_max_attempts(kind text) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE kind WHEN 'train' THEN 3 WHEN 'analyze' THEN 2 ELSE 1 END
$$;
