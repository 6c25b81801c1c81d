-- isomine.submit_embeddings: its current definition, applied by `isomine migrate` whenever this file changes
-- (see sql/functions/README.md). Last defined by 012_verdict_headline.sql before it moved here.
CREATE OR REPLACE FUNCTION isomine.submit_embeddings(series text, step bigint, embeddings bytea, labels bytea, options jsonb DEFAULT '{}')
RETURNS bigint
-- SECURITY DEFINER (017_client_role.sql): a client role runs it without rights on the tables; the
-- search path is fixed so that nothing of the caller's can stand in for pg_catalog's or isomine's objects.
SECURITY DEFINER SET search_path = pg_catalog, isomine, pg_temp
LANGUAGE plpgsql AS $$
DECLARE
    allowed text[] := ARRAY['margin', 'normalize', 'probe_size', 'iterations', 'seed', 'reference_scale', 'threads', 'blas_threads', 'name', 'queue',
                            'baseline_step', 'untrained', 'priority', 'max_attempts'];
    key text;
    e record;
    l record;
    spec jsonb;
BEGIN
    options := coalesce(options, '{}'::jsonb);
    IF jsonb_typeof(options) <> 'object' THEN
        RAISE EXCEPTION 'isomine.submit_embeddings: options must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR key IN SELECT jsonb_object_keys(options) LOOP
        IF NOT key = ANY (allowed) THEN
            RAISE EXCEPTION 'isomine.submit_embeddings: unknown option ''%''; known options: %', left(key, 100), array_to_string(allowed, ', ')
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END LOOP;
    -- Which way the series is judged is settled at enqueue (isomine.series.normalize): a value that is not
    -- a boolean is refused here, not left to fail when the job runs.
    IF options ? 'normalize' AND jsonb_typeof(options->'normalize') <> 'boolean' THEN
        RAISE EXCEPTION 'isomine.submit_embeddings: option normalize must be true or false (whether the loss L2-normalises the embeddings), got %',
            left((options->'normalize')::text, 40) USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF step IS NULL OR step < 0 OR step > 2147483647 THEN
        RAISE EXCEPTION 'isomine.submit_embeddings: step must be an integer from 0 to 2147483647, got %', coalesce(step::text, 'NULL') USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF series IS NULL OR series !~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$' THEN
        RAISE EXCEPTION 'isomine.submit_embeddings: series name ''%'' is not valid; use 1 to 100 of A-Z, a-z, 0-9, _ . - starting with a letter or digit',
            left(coalesce(series, 'NULL'), 100) USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO e FROM isomine.npy_header(embeddings, 'embeddings');
    SELECT * INTO l FROM isomine.npy_header(labels, 'labels');
    IF e.descr NOT IN ('<f2', '<f4', '<f8') THEN
        RAISE EXCEPTION 'embeddings: has dtype ''%''; embeddings must be little-endian float16 (''<f2''), float32 (''<f4'') or float64 (''<f8'')', e.descr
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF cardinality(e.shape) <> 2 OR e.fortran THEN
        RAISE EXCEPTION 'embeddings: has shape (%)%; embeddings must be a C-ordered 2-D array (N, D)', array_to_string(e.shape, ', '),
            CASE WHEN e.fortran THEN ' in Fortran order' ELSE '' END USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF l.descr !~ '^[<|][iu][1248]$' THEN
        RAISE EXCEPTION 'labels: has dtype ''%''; labels must be little-endian integers (e.g. ''<i8'')', l.descr USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF cardinality(l.shape) <> 1 THEN
        RAISE EXCEPTION 'labels: has shape (%); labels must be a 1-D array (N,)', array_to_string(l.shape, ', ') USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF e.shape[1] <> l.shape[1] THEN
        RAISE EXCEPTION 'embeddings have % rows but labels have %; they must match', e.shape[1], l.shape[1] USING ERRCODE = 'invalid_parameter_value';
    END IF;
    spec := jsonb_build_object(
        'kind', 'analyze', 'series', series, 'step', step,
        'dataset', jsonb_build_object('type', 'stored',
                                      'features', isomine.store_input(embeddings, 'npy', 'embeddings'),
                                      'labels', isomine.store_input(labels, 'npy', 'labels')))
        || (options - 'priority' - 'max_attempts');
    RETURN isomine.enqueue('analyze', spec, coalesce((options->>'priority')::integer, 0), now(), NULL,
                           (options->>'max_attempts')::integer, options->>'queue');
END;
$$;

-- Callable by isomine_client, not by PUBLIC (017_client_role.sql).
SELECT isomine.client_may_execute('isomine.submit_embeddings(text, bigint, bytea, bytea, jsonb)');
