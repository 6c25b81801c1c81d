-- isomine.enqueue: one SQL statement to queue a job; wakes waiting workers through NOTIFY.
-- With a unique_key that a queued or running job already holds, returns that job's id instead.
CREATE FUNCTION isomine.enqueue(
    kind text,
    spec jsonb,
    priority integer DEFAULT 0,
    run_after timestamptz DEFAULT now(),
    unique_key text DEFAULT NULL
) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    new_id bigint;
BEGIN
    IF unique_key IS NOT NULL THEN
        SELECT j.id INTO new_id FROM isomine.jobs j
         WHERE j.unique_key = enqueue.unique_key AND j.state IN ('queued', 'running');
        IF FOUND THEN
            RETURN new_id;
        END IF;
    END IF;
    INSERT INTO isomine.jobs (kind, spec, priority, run_after, unique_key)
    VALUES (enqueue.kind, enqueue.spec, enqueue.priority, enqueue.run_after, enqueue.unique_key)
    RETURNING id INTO new_id;
    INSERT INTO isomine.job_events (job_id, type, data)
    VALUES (new_id, 'job.enqueued', jsonb_build_object('kind', enqueue.kind));
    PERFORM pg_notify('isomine_jobs', new_id::text);
    RETURN new_id;
END;
$$;
