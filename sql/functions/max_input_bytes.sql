-- isomine.max_input_bytes: its current definition, applied by `isomine migrate` whenever this file changes
-- (see sql/functions/README.md). Last defined by 008_inputs_and_series.sql before it moved here.
--
-- The upload cap: the database's setting isomine.max_input_bytes (ALTER DATABASE … SET
-- isomine.max_input_bytes = '…'), default 256 MiB; PostgreSQL's own bytea limit is 1 GB. A session
-- (SET, PGOPTIONS) or a role (ALTER ROLE … SET) may lower it for itself, never raise it: any role can
-- set a placeholder setting for its own sessions, and a client must not lift the cap an administrator set.
CREATE OR REPLACE FUNCTION isomine.max_input_bytes() RETURNS bigint
LANGUAGE sql STABLE
-- The database's own value, from the catalog (ALTER DATABASE with no role), not the session's.
SET search_path = pg_catalog, pg_temp AS $$
    WITH database_cap AS (
        SELECT coalesce((SELECT nullif(substr(c, length('isomine.max_input_bytes=') + 1), '')::bigint
                           FROM pg_db_role_setting s, unnest(s.setconfig) c
                          WHERE s.setrole = 0 AND s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
                            AND c LIKE 'isomine.max_input_bytes=%'
                          LIMIT 1), 268435456) AS cap
    )
    SELECT least(cap, coalesce(nullif(current_setting('isomine.max_input_bytes', true), '')::bigint, cap)) FROM database_cap
$$;
