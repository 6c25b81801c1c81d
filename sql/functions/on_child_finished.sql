-- isomine.on_child_finished: its current definition, applied by `isomine migrate` whenever this file changes
-- (see sql/functions/README.md). Last defined by 004_sweeps.sql before it moved here.
CREATE OR REPLACE FUNCTION isomine.on_child_finished() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    parent isomine.jobs%ROWTYPE;
BEGIN
    -- Lock the parent first: two children ending at once are serialised here, and the second one's
    -- next statement (a new snapshot under READ COMMITTED) sees the first one's commit.
    SELECT * INTO parent FROM isomine.jobs WHERE id = NEW.parent_id FOR UPDATE;
    IF NOT FOUND OR parent.kind <> 'sweep' OR parent.state <> 'running' OR parent.lease_owner IS NOT NULL THEN
        RETURN NULL;
    END IF;
    IF EXISTS (SELECT 1 FROM isomine.jobs c WHERE c.parent_id = parent.id AND c.state IN ('queued', 'running')) THEN
        RETURN NULL;
    END IF;
    -- The aggregation is a fresh claim of the parent: give back the attempt the fan-out used.
    UPDATE isomine.jobs SET state = 'queued', attempt = greatest(attempt - 1, 0), run_after = now()
     WHERE id = parent.id;
    INSERT INTO isomine.job_events (job_id, type, data)
    VALUES (parent.id, 'sweep.runs_finished', jsonb_build_object('last_run', NEW.id));
    PERFORM pg_notify('isomine_jobs', parent.id::text);
    RETURN NULL;
END;
$$;
