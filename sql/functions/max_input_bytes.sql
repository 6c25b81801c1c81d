-- isomine.max_input_bytes: its current definition, applied by `isomine migrate` whenever this file changes
-- (see sql/functions/README.md). Last defined by 008_inputs_and_series.sql before it moved here.
--
-- The upload cap: the setting isomine.max_input_bytes (ALTER DATABASE … SET isomine.max_input_bytes = '…',
-- or SET in a session), default 256 MiB; PostgreSQL's own bytea limit is 1 GB.
CREATE OR REPLACE FUNCTION isomine.max_input_bytes() RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting('isomine.max_input_bytes', true), '')::bigint, 268435456)
$$;
