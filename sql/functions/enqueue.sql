-- isomine.enqueue: its current definition, applied by `isomine migrate` whenever this file changes
-- (see sql/functions/README.md). Last defined by 013_slack_escape_and_enqueue.sql before it moved here.
--
-- The series name in the refusal: (spec->'series')::text, not spec -> ('series'::text), which is jsonb.
CREATE OR REPLACE FUNCTION isomine.enqueue(
    kind text,
    spec jsonb,
    priority integer DEFAULT 0,
    run_after timestamptz DEFAULT now(),
    unique_key text DEFAULT NULL,
    max_attempts integer DEFAULT NULL,
    queue text DEFAULT NULL
) RETURNS bigint
-- SECURITY DEFINER (017_client_role.sql): a client role runs it without rights on the tables; the
-- search path is fixed so that nothing of the caller's can stand in for pg_catalog's or isomine's objects.
SECURITY DEFINER SET search_path = pg_catalog, isomine, pg_temp
LANGUAGE plpgsql AS $$
DECLARE
    new_id bigint;
    target text := coalesce(enqueue.queue, enqueue.spec->>'queue', 'default');
    series_name text;
    step bigint;
    existing bigint;
    digest text;
    bad_path text;
    bad_number text;
    series_margin double precision;
    series_monitor jsonb;
    named_margin double precision;
    series_normalize boolean;
    named_normalize boolean;
BEGIN
    -- Clear errors instead of a check-constraint violation that dumps the whole row.
    IF enqueue.kind IS NULL OR enqueue.kind NOT IN ('train', 'analyze', 'sweep') THEN
        RAISE EXCEPTION 'isomine.enqueue: unknown job kind ''%''; expected train, analyze or sweep', enqueue.kind
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF enqueue.spec IS NULL OR jsonb_typeof(enqueue.spec) <> 'object' THEN
        RAISE EXCEPTION 'isomine.enqueue: the spec must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- Every number as the worker reads it, a double (isomine.json_double's bounds): a spec holding 1e400
    -- or 1e-400 was stored, failed when claimed, and neither `jobs show` nor its page could read it back.
    WITH RECURSIVE walk(path, v) AS (
        SELECT 'spec'::text, enqueue.spec
        UNION ALL
        SELECT w.path || CASE WHEN e.idx IS NULL THEN '.' || e.key ELSE '[' || (e.idx - 1) || ']' END, e.value
          FROM walk w CROSS JOIN LATERAL (
              SELECT o.key, o.value, NULL::bigint AS idx FROM jsonb_each(CASE WHEN jsonb_typeof(w.v) = 'object' THEN w.v END) o
              UNION ALL
              SELECT NULL, a.value, a.idx FROM jsonb_array_elements(CASE WHEN jsonb_typeof(w.v) = 'array' THEN w.v END) WITH ORDINALITY a(value, idx)) e
    )
    SELECT w.path, to_char((w.v #>> '{}')::numeric, '9.999EEEE') INTO bad_path, bad_number FROM walk w
     WHERE jsonb_typeof(w.v) = 'number'
       AND (isomine.json_double(w.v) IS NULL OR (isomine.json_double(w.v) = '0'::jsonb AND (w.v #>> '{}')::numeric <> 0))
     LIMIT 1;
    IF bad_path IS NOT NULL THEN
        RAISE EXCEPTION 'isomine.enqueue: %: the number % is outside what isomine reads as a double; use numbers within ±1e300, and non-zero ones of at least 1e-300 in magnitude',
            left(bad_path, 200), trim(bad_number) USING ERRCODE = 'invalid_parameter_value';
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
    -- Stored inputs must exist now: a job never waits for an upload.
    IF jsonb_typeof(enqueue.spec->'dataset') = 'object' AND enqueue.spec->'dataset'->>'type' IN ('stored', 'stored_csv') THEN
        FOREACH digest IN ARRAY ARRAY[enqueue.spec->'dataset'->>'features', enqueue.spec->'dataset'->>'labels', enqueue.spec->'dataset'->>'input'] LOOP
            CONTINUE WHEN digest IS NULL;
            IF NOT EXISTS (SELECT 1 FROM isomine.inputs i WHERE i.sha256 = digest) THEN
                RAISE EXCEPTION 'isomine.enqueue: stored input % is not in the database (upload it with isomine.store_input or isomine submit)', left(digest, 80)
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
        END LOOP;
    END IF;
    -- A series step: the series exists (created with its baseline), the step is new.
    IF enqueue.kind = 'analyze' AND enqueue.spec ? 'series' THEN
        series_name := enqueue.spec->>'series';
        IF series_name IS NULL OR series_name !~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$' THEN
            RAISE EXCEPTION 'isomine.enqueue: series name ''%'' is not valid; use 1 to 100 of A-Z, a-z, 0-9, _ . - starting with a letter or digit',
                left(coalesce(series_name, (enqueue.spec->'series')::text), 100) USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF jsonb_typeof(enqueue.spec->'step') IS DISTINCT FROM 'number' OR (enqueue.spec->>'step') !~ '^[0-9]{1,10}$'
           OR (enqueue.spec->>'step')::bigint > 2147483647 THEN
            RAISE EXCEPTION 'isomine.enqueue: a series step needs "step", an integer from 0 to 2147483647' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        step := (enqueue.spec->>'step')::bigint;
        SELECT j.id INTO existing FROM isomine.jobs j WHERE j.series = series_name AND j.series_step = step;
        IF FOUND THEN
            RAISE EXCEPTION 'isomine.enqueue: step % of series ''%'' was already submitted (job %); a step is never replaced: submit it under another step or series',
                step, series_name, existing USING ERRCODE = 'unique_violation';
        END IF;
        INSERT INTO isomine.series (name, baseline_step)
        VALUES (series_name, coalesce(CASE WHEN (enqueue.spec->>'baseline_step') ~ '^[0-9]{1,10}$' THEN (enqueue.spec->>'baseline_step')::bigint END, step))
        -- A series a monitor made has no baseline until its first checkpoint: this one, unless named. (The
        -- row is read after its lock, so of two first checkpoints submitted at once, the first to commit is it.)
        ON CONFLICT (name) DO UPDATE SET baseline_step = coalesce(CASE WHEN (enqueue.spec->>'baseline_step') ~ '^[0-9]{1,10}$' THEN (enqueue.spec->>'baseline_step')::bigint END,
                                                                  isomine.series.baseline_step, step);
        -- One margin per series (a run trains at one; isomine.series.margin, 020_series_margin.sql): a step
        -- without one is judged at the series' (its monitor's, or its first step's, named or the analyze
        -- default), written into its spec; a step naming another is refused. A margin that is not a
        -- positive number is left to the spec's own check when the job runs. (The row is locked above.)
        SELECT s.margin, s.monitor INTO series_margin, series_monitor FROM isomine.series s WHERE s.name = series_name;
        IF jsonb_typeof(enqueue.spec->'margin') = 'number' AND (enqueue.spec->>'margin')::numeric > 0 THEN
            named_margin := (enqueue.spec->>'margin')::double precision;
        END IF;
        IF named_margin IS NOT NULL AND series_margin IS NOT NULL AND named_margin <> series_margin THEN
            RAISE EXCEPTION 'isomine.enqueue: series ''%'' judges its steps at margin % (%); this step names margin %. A run trains at one margin: submit the step without a margin (it takes the series''), or under a new series',
                series_name, series_margin,
                CASE WHEN (series_monitor->>'margin')::double precision = series_margin THEN 'its monitor''s' ELSE 'its first step''s' END,
                named_margin USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF series_margin IS NULL AND (named_margin IS NOT NULL OR NOT enqueue.spec ? 'margin') THEN
            series_margin := coalesce(named_margin, isomine.default_margin());
            UPDATE isomine.series s SET margin = series_margin WHERE s.name = series_name;
        END IF;
        IF NOT enqueue.spec ? 'margin' THEN
            enqueue.spec := enqueue.spec || jsonb_build_object('margin', series_margin);
        END IF;
        -- One distance per series too (021_series_normalize.sql): a run's loss measures its embeddings
        -- L2-normalised or as they are, so a step without `normalize` is judged as the series' (its
        -- monitor's, or its first step's; as given when neither said) and one naming the other is refused.
        -- A value that is not a boolean is left to the spec's own check when the job runs.
        SELECT s.normalize INTO series_normalize FROM isomine.series s WHERE s.name = series_name;
        IF jsonb_typeof(enqueue.spec->'normalize') = 'boolean' THEN
            named_normalize := (enqueue.spec->>'normalize')::boolean;
        END IF;
        IF named_normalize IS NOT NULL AND series_normalize IS NOT NULL AND named_normalize <> series_normalize THEN
            RAISE EXCEPTION 'isomine.enqueue: series ''%'' judges its steps on % (normalize %, %); this step names normalize %. A run''s loss measures one distance: submit the step without normalize (it takes the series''), or under a new series',
                series_name, CASE WHEN series_normalize THEN 'L2-normalised embeddings' ELSE 'the embeddings as given' END, series_normalize::text,
                CASE WHEN coalesce((series_monitor->>'normalize')::boolean, false) = series_normalize AND series_monitor IS NOT NULL
                     THEN 'its monitor''s' ELSE 'its first step''s' END,
                named_normalize::text USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF series_normalize IS NULL AND (named_normalize IS NOT NULL OR NOT enqueue.spec ? 'normalize') THEN
            series_normalize := coalesce(named_normalize, false);
            UPDATE isomine.series s SET normalize = series_normalize WHERE s.name = series_name;
        END IF;
        IF series_normalize AND NOT enqueue.spec ? 'normalize' THEN
            enqueue.spec := enqueue.spec || jsonb_build_object('normalize', true);
        END IF;
    END IF;
    IF unique_key IS NOT NULL THEN
        SELECT j.id INTO new_id FROM isomine.jobs j
         WHERE j.unique_key = enqueue.unique_key AND j.state IN ('queued', 'running');
        IF FOUND THEN
            RETURN new_id;
        END IF;
    END IF;
    BEGIN
        INSERT INTO isomine.jobs (kind, spec, priority, run_after, unique_key, max_attempts, queue, series, series_step)
        VALUES (enqueue.kind, enqueue.spec, enqueue.priority, enqueue.run_after, enqueue.unique_key,
                coalesce(enqueue.max_attempts, isomine.default_max_attempts(enqueue.kind)), target, series_name, step)
        RETURNING id INTO new_id;
    EXCEPTION WHEN unique_violation THEN
        RAISE EXCEPTION 'isomine.enqueue: step % of series ''%'' was already submitted; a step is never replaced: submit it under another step or series',
            step, series_name USING ERRCODE = 'unique_violation';
    END;
    INSERT INTO isomine.job_events (job_id, type, data)
    VALUES (new_id, 'job.enqueued', jsonb_build_object('kind', enqueue.kind, 'queue', target));
    PERFORM pg_notify('isomine_jobs', new_id::text);
    RETURN new_id;
END;
$$;

-- Callable by isomine_client, not by PUBLIC (017_client_role.sql).
SELECT isomine.client_may_execute('isomine.enqueue(text, jsonb, integer, timestamptz, text, integer, text)');
