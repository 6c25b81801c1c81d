-- isomine.on_sweep_cancelled: its current definition, applied by `isomine migrate` whenever this file changes
-- (see sql/functions/README.md). Last defined by 004_sweeps.sql before it moved here.
CREATE OR REPLACE FUNCTION isomine.on_sweep_cancelled() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    WITH cancelled AS (
        UPDATE isomine.jobs SET state = 'cancelled', finished_at = now(), lease_owner = NULL, lease_expires = NULL
         WHERE parent_id = NEW.id AND state IN ('queued', 'running')
        RETURNING id)
    INSERT INTO isomine.job_events (job_id, type, data)
    SELECT id, 'job.cancelled', jsonb_build_object('by_sweep', NEW.id) FROM cancelled;
    RETURN NULL;
END;
$$;
