-- isomine.client_may_execute: its current definition, applied by `isomine migrate` whenever this file
-- changes (see sql/functions/README.md). New with 017_client_role.sql.
--
-- A client function's privileges, set by its own file right after its definition (so the grants stay
-- with the definition, and a function first created by its file gets them too): EXECUTE revoked from
-- PUBLIC, given to isomine_client when the role exists (017 creates it when the migrating role may).
-- Function files are applied in name order, so this one is defined before any file calls it.
CREATE OR REPLACE FUNCTION isomine.client_may_execute(f regprocedure) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'isomine_client') THEN
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO isomine_client', f);
    END IF;
END
$$;

REVOKE EXECUTE ON FUNCTION isomine.client_may_execute(regprocedure) FROM PUBLIC;
