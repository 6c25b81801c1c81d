-- Per-kind attempt limits: a train job (long, checkpointed) gets 3 attempts, an analyze job 2, a sweep
-- parent 1 (its children retry on their own). isomine.enqueue takes an explicit max_attempts too.
DROP FUNCTION isomine.enqueue(text, jsonb, integer, timestamptz, text);

CREATE FUNCTION isomine.default_max_attempts(kind text) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE kind WHEN 'train' THEN 3 WHEN 'analyze' THEN 2 ELSE 1 END
$$;

CREATE FUNCTION isomine.enqueue(
    kind text,
    spec jsonb,
    priority integer DEFAULT 0,
    run_after timestamptz DEFAULT now(),
    unique_key text DEFAULT NULL,
    max_attempts integer DEFAULT NULL
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
    INSERT INTO isomine.jobs (kind, spec, priority, run_after, unique_key, max_attempts)
    VALUES (enqueue.kind, enqueue.spec, enqueue.priority, enqueue.run_after, enqueue.unique_key,
            coalesce(enqueue.max_attempts, isomine.default_max_attempts(enqueue.kind)))
    RETURNING id INTO new_id;
    INSERT INTO isomine.job_events (job_id, type, data)
    VALUES (new_id, 'job.enqueued', jsonb_build_object('kind', enqueue.kind));
    PERFORM pg_notify('isomine_jobs', new_id::text);
    RETURN new_id;
END;
$$;
