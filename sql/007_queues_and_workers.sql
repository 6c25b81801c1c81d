-- Named queues, a registry of workers, and isomine.enqueue refusing bad input with a clear message.
--
-- Every job belongs to a queue (default 'default'); a worker claims only from the queues it serves
-- (`isomine worker --queues a,b`), so jobs can be routed to the machines that hold their data. A sweep's
-- runs go to their sweep's queue.
ALTER TABLE isomine.jobs ADD COLUMN queue text NOT NULL DEFAULT 'default'
    CONSTRAINT jobs_queue_name CHECK (queue ~ '^[a-z0-9][a-z0-9_.-]{0,62}$');
DROP INDEX IF EXISTS isomine.jobs_claim;
CREATE INDEX jobs_claim_by_queue ON isomine.jobs (queue, priority DESC, run_after, id) WHERE state = 'queued';

-- One row per running worker process, refreshed by its rescuer's interval; `isomine status` lists the
-- live ones (last_seen within a minute) with the jobs they hold.
CREATE TABLE isomine.workers (
    id          text PRIMARY KEY,
    host        text NOT NULL,
    pid         integer NOT NULL,
    queues      text[] NOT NULL,
    concurrency integer NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    last_seen   timestamptz NOT NULL DEFAULT now()
);

DROP FUNCTION isomine.enqueue(text, jsonb, integer, timestamptz, text, integer);

CREATE FUNCTION isomine.enqueue(
    kind text,
    spec jsonb,
    priority integer DEFAULT 0,
    run_after timestamptz DEFAULT now(),
    unique_key text DEFAULT NULL,
    max_attempts integer DEFAULT NULL,
    queue text DEFAULT NULL
) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    new_id bigint;
    target text := coalesce(enqueue.queue, enqueue.spec->>'queue', 'default');
BEGIN
    -- Clear errors instead of a check-constraint violation that dumps the whole row.
    IF enqueue.kind IS NULL OR enqueue.kind NOT IN ('train', 'analyze', 'sweep') THEN
        RAISE EXCEPTION 'isomine.enqueue: unknown job kind ''%''; expected train, analyze or sweep', enqueue.kind
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF enqueue.spec IS NULL OR jsonb_typeof(enqueue.spec) <> 'object' THEN
        RAISE EXCEPTION 'isomine.enqueue: the spec must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF enqueue.spec ? 'kind' AND enqueue.spec->>'kind' IS DISTINCT FROM enqueue.kind THEN
        RAISE EXCEPTION 'isomine.enqueue: the spec''s kind is ''%'' but the job''s kind is ''%''', enqueue.spec->>'kind', enqueue.kind
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF target !~ '^[a-z0-9][a-z0-9_.-]{0,62}$' THEN
        RAISE EXCEPTION 'isomine.enqueue: queue name ''%'' is not valid; use 1 to 63 of a-z, 0-9, _ . - starting with a letter or digit', target
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF enqueue.max_attempts IS NOT NULL AND enqueue.max_attempts < 1 THEN
        RAISE EXCEPTION 'isomine.enqueue: max_attempts must be at least 1, got %', enqueue.max_attempts USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF unique_key IS NOT NULL THEN
        SELECT j.id INTO new_id FROM isomine.jobs j
         WHERE j.unique_key = enqueue.unique_key AND j.state IN ('queued', 'running');
        IF FOUND THEN
            RETURN new_id;
        END IF;
    END IF;
    INSERT INTO isomine.jobs (kind, spec, priority, run_after, unique_key, max_attempts, queue)
    VALUES (enqueue.kind, enqueue.spec, enqueue.priority, enqueue.run_after, enqueue.unique_key,
            coalesce(enqueue.max_attempts, isomine.default_max_attempts(enqueue.kind)), target)
    RETURNING id INTO new_id;
    INSERT INTO isomine.job_events (job_id, type, data)
    VALUES (new_id, 'job.enqueued', jsonb_build_object('kind', enqueue.kind, 'queue', target));
    PERFORM pg_notify('isomine_jobs', new_id::text);
    RETURN new_id;
END;
$$;

-- This database's identity, written into every reports folder it publishes to (.isomine-database), so
-- a folder that belongs to another database is refused instead of overwritten.
CREATE TABLE isomine.instance (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    created_at timestamptz NOT NULL DEFAULT now(),
    singleton  boolean NOT NULL DEFAULT true UNIQUE CHECK (singleton)
);
INSERT INTO isomine.instance DEFAULT VALUES;
