-- The verdict on the margin's scale (issue 19): a step can be submitted as an untrained network
-- (option 'untrained', judged as a train run's step 0), each step's headline names which state the
-- verdict is (e.g. 'collapsed (distances; ranking intact)'), and summaries say it.

CREATE OR REPLACE FUNCTION isomine.submit_embeddings(series text, step bigint, embeddings bytea, labels bytea, options jsonb DEFAULT '{}')
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    allowed text[] := ARRAY['margin', 'probe_size', 'iterations', 'seed', 'reference_scale', 'blas_threads', 'name', 'queue',
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
    IF step IS NULL OR step < 0 OR step > 2147483647 THEN
        RAISE EXCEPTION 'isomine.submit_embeddings: step must be an integer from 0 to 2147483647, got %', coalesce(step::text, 'NULL') USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF series IS NULL OR series !~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$' THEN
        RAISE EXCEPTION 'isomine.submit_embeddings: series name ''%'' is not valid; use 1 to 100 of A-Z, a-z, 0-9, _ . - starting with a letter or digit',
            left(coalesce(series, 'NULL'), 100) USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO e FROM isomine.npy_header(embeddings, 'embeddings');
    SELECT * INTO l FROM isomine.npy_header(labels, 'labels');
    IF e.descr NOT IN ('<f4', '<f8') THEN
        RAISE EXCEPTION 'embeddings: has dtype ''%''; embeddings must be little-endian float32 (''<f4'') or float64 (''<f8'')', e.descr
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

CREATE OR REPLACE FUNCTION isomine.series_json(series_name text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'name', s.name, 'baseline_step', s.baseline_step, 'collapse_step', s.collapse_step, 'warning_step', s.warning_step,
        'created_at', to_char(s.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'steps', coalesce((
            SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                       'step', j.series_step, 'job_id', j.id, 'state', j.state, 'verdict', j.result->>'verdict',
                       'headline', j.result->'final'->'diagnosis'->>'headline',
                       'spread_over_margin', j.result->'final'->'diagnosis'->'evidence'->'spread_over_margin',
                       'precision_at_1', j.result->'final'->'eval'->'precision_at_1',
                       'map_at_r', j.result->'final'->'eval'->'map_at_r',
                       'relative_spread', j.result->'final'->'estimators'->'collapse'->'mean_ratio',
                       'l_hard', j.result->'final'->'estimators'->'l_hard',
                       'd_iso_lower', j.result->'final'->'estimators'->'d_iso'->'lower',
                       'd_iso_upper', j.result->'final'->'estimators'->'d_iso'->'upper',
                       'reasons', coalesce((SELECT jsonb_agg(r->'code') FROM jsonb_array_elements(
                                                CASE WHEN jsonb_typeof(j.result->'final'->'diagnosis'->'reasons') = 'array'
                                                     THEN j.result->'final'->'diagnosis'->'reasons' ELSE '[]' END) r
                                             WHERE r->>'level' <> 'healthy'), '[]'),
                       'warning', (SELECT jsonb_agg(r->'code') FROM jsonb_array_elements(
                                      CASE WHEN jsonb_typeof(j.result->'warning'->'reasons') = 'array'
                                           THEN j.result->'warning'->'reasons' ELSE '[]' END) r),
                       'last_error', j.last_error)) ORDER BY j.series_step)
              FROM isomine.jobs j WHERE j.series = s.name), '[]')))
      FROM isomine.series s WHERE s.name = series_name
$$;

CREATE OR REPLACE FUNCTION isomine.event_summary(type text, job isomine.jobs, data jsonb) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    who text := 'job ' || job.id || coalesce(' "' || left(job.spec->>'name', 80) || '"', '') || ' (' || job.kind || ')';
    figures text;
    reasons text;
    reasonList jsonb := CASE WHEN jsonb_typeof(data->'signals'->'reasons') = 'array' THEN data->'signals'->'reasons'
                             WHEN jsonb_typeof(data->'reasons') = 'array' THEN data->'reasons' ELSE '[]' END;
    ofSteps text := CASE WHEN data->>'series' IS NULL AND job.kind = 'train' THEN ' of ' || coalesce(job.spec->>'steps', '2000') ELSE '' END;
BEGIN
    IF data->>'series' IS NOT NULL THEN
        who := 'series "' || (data->>'series') || '" (job ' || job.id || ')';
    END IF;
    figures := concat_ws(', ',
        'verdict ' || coalesce(data->>'headline', job.result->'final'->'diagnosis'->>'headline', data->>'verdict', job.result->>'verdict'),
        'P@1 ' || round(coalesce(data->>'precision_at_1', data->'signals'->>'precision_at_1', job.result->'final'->'eval'->>'precision_at_1')::numeric, 3),
        'relative spread ' || round((data->'signals'->>'relative_spread')::numeric, 3),
        'batch spread ' || round((data->'signals'->>'batch_spread_ratio')::numeric, 3),
        'loss ' || round((data->'signals'->>'loss')::numeric, 4));
    SELECT string_agg(r->>'code', ', ') INTO reasons FROM jsonb_array_elements(reasonList) r;
    RETURN CASE type
        WHEN 'job.succeeded' THEN who || ' succeeded' || coalesce(': ' || nullif(figures, ''), '')
        WHEN 'job.failed' THEN who || ' failed on attempt ' || job.attempt || ' of ' || job.max_attempts || ': ' || left(coalesce(job.last_error, 'no error recorded'), 300)
        WHEN 'job.dead' THEN who || ' is dead after ' || job.attempt || ' attempts: ' || left(coalesce(job.last_error, 'no error recorded'), 300)
        WHEN 'collapse.detected' THEN who || ' collapsed at step ' || coalesce(data->>'step', '?') || ofSteps
            || coalesce(': ' || nullif(figures, ''), '') || coalesce(' — reasons: ' || reasons, '')
        WHEN 'collapse.warning' THEN who || ' may be collapsing: warning at step ' || coalesce(data->>'step', '?') || ofSteps
            || coalesce(': ' || nullif(figures, ''), '') || coalesce(' — reasons: ' || reasons, '')
        WHEN 'sweep.finished' THEN who || ' finished: ' || coalesce(data->>'runs', '?') || ' runs, ' || coalesce(data->>'collapsed', '?')
            || ' collapsed, ' || coalesce(data->>'failed', '?') || ' failed'
        WHEN 'report.ready' THEN 'report of ' || who || ' is ready: ' || coalesce(data->>'url', '')
        ELSE who || ': ' || type
    END;
END;
$$;
