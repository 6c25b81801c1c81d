-- The client role (issue 24): what an ordinary database role needs to audit its runs — submit series
-- steps, stored inputs, specs and monitor rows, and read jobs, metrics, series and events — without
-- being a superuser or owning the schema. An administrator gives it with `GRANT isomine_client TO alice`.
--
-- The writing functions (enqueue, store_input, submit_embeddings, start_monitor, submit_signals) are
-- SECURITY DEFINER from this migration on (their files in sql/functions say so, with a
-- fixed search_path): they check every argument themselves, so a client needs no INSERT or UPDATE on
-- any table, and cannot change a job, a series or an input except through them. Their EXECUTE is
-- revoked from PUBLIC (the default grant) and given to isomine_client by isomine.client_may_execute,
-- which each file calls after its definition; the owner keeps it.
--
-- Roles belong to the cluster, not the database: the role is created only when it does not exist
-- (another database of the cluster may have made it, or be making it now), and a migrating role that
-- may not create roles gets a notice and the rest of the migration (grants to an existing role).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'isomine_client') THEN
        BEGIN
            CREATE ROLE isomine_client NOLOGIN;
        EXCEPTION
            WHEN duplicate_object OR unique_violation THEN NULL;  -- made concurrently by another database's migration
            WHEN insufficient_privilege THEN
                RAISE NOTICE 'isomine: role isomine_client not created (the migrating role may not create roles); ordinary roles need their own grants';
        END;
    END IF;
END
$$;

-- What a client may read: what `isomine.job`, `metrics`, the monitor's read-back and `isomine series show`
-- read. Not the webhook tables (their secrets), not the inputs' bytes; nothing to write.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'isomine_client') THEN
        GRANT USAGE ON SCHEMA isomine TO isomine_client;
        GRANT SELECT ON isomine.jobs, isomine.metrics, isomine.job_events, isomine.series, isomine.series_signals TO isomine_client;
    END IF;
END
$$;
