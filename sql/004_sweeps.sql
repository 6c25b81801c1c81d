-- Sweeps. A sweep parent, once it has queued its children, waits in state 'running' with no lease
-- (so the rescuer leaves it alone). When its last child ends, this trigger queues the parent again
-- and a worker aggregates the children into the parent's result. Cancelling a sweep cancels the
-- children that have not ended.

CREATE FUNCTION isomine.on_child_finished() RETURNS trigger
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

CREATE TRIGGER jobs_child_finished
    AFTER UPDATE OF state ON isomine.jobs
    FOR EACH ROW
    WHEN (NEW.parent_id IS NOT NULL
          AND NEW.state IN ('succeeded', 'failed', 'cancelled', 'dead')
          AND OLD.state IN ('queued', 'running'))
    EXECUTE FUNCTION isomine.on_child_finished();

CREATE FUNCTION isomine.on_sweep_cancelled() RETURNS trigger
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

CREATE TRIGGER jobs_sweep_cancelled
    AFTER UPDATE OF state ON isomine.jobs
    FOR EACH ROW
    WHEN (NEW.kind = 'sweep' AND NEW.state = 'cancelled' AND OLD.state <> 'cancelled')
    EXECUTE FUNCTION isomine.on_sweep_cancelled();
