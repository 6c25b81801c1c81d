-- Inputs uploaded into the database (so workers need no shared filesystem), checkpoint series of
-- analyze jobs, one SQL function to submit a series step from any language, a one-line summary on
-- every webhook payload and Slack-compatible bodies.

-- Uploaded inputs, keyed by the SHA-256 of their bytes (the same bytes are stored once).
CREATE TABLE isomine.inputs (
    sha256     text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    format     text NOT NULL CHECK (format IN ('npy', 'csv')),
    byte_size  bigint NOT NULL,
    data       bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- The upload cap: the setting isomine.max_input_bytes (ALTER DATABASE … SET isomine.max_input_bytes = '…',
-- or SET in a session), default 256 MiB; PostgreSQL's own bytea limit is 1 GB.
CREATE FUNCTION isomine.max_input_bytes() RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting('isomine.max_input_bytes', true), '')::bigint, 268435456)
$$;

-- The header of an NPY array: its dtype, whether it is Fortran-ordered, its shape, and whether the
-- file holds the bytes the shape needs. Raises a clear error naming `what` when it is not an NPY.
CREATE FUNCTION isomine.npy_header(data bytea, what text, OUT descr text, OUT fortran boolean, OUT shape bigint[])
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    major int;
    header_start int;
    header_len bigint;
    header text;
    m text[];
    part text;
    itemsize bigint;
    needed numeric := 1;
BEGIN
    IF data IS NULL OR octet_length(data) < 10 OR substring(data FROM 1 FOR 6) <> '\x934e554d5059'::bytea THEN
        RAISE EXCEPTION '%: is not an NPY file (no \x93NUMPY magic); save it with numpy.save', what USING ERRCODE = 'invalid_parameter_value';
    END IF;
    major := get_byte(data, 6);
    IF major = 1 THEN
        header_len := get_byte(data, 8) + 256 * get_byte(data, 9);
        header_start := 10;
    ELSIF major IN (2, 3) AND octet_length(data) >= 12 THEN
        header_len := get_byte(data, 8) + 256 * get_byte(data, 9) + 65536 * get_byte(data, 10) + 16777216::bigint * get_byte(data, 11);
        header_start := 12;
    ELSE
        RAISE EXCEPTION '%: NPY format version % is not supported', what, major USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF header_start + header_len > octet_length(data) THEN
        RAISE EXCEPTION '%: the NPY header is cut short', what USING ERRCODE = 'invalid_parameter_value';
    END IF;
    header := convert_from(substring(data FROM header_start + 1 FOR header_len::int), 'LATIN1');
    m := regexp_match(header, '''descr''\s*:\s*''([^'']*)''');
    IF m IS NULL THEN RAISE EXCEPTION '%: the NPY header has no descr', what USING ERRCODE = 'invalid_parameter_value'; END IF;
    descr := m[1];
    m := regexp_match(header, '''fortran_order''\s*:\s*(True|False)');
    fortran := m IS NOT NULL AND m[1] = 'True';
    m := regexp_match(header, '''shape''\s*:\s*\(([^)]*)\)');
    IF m IS NULL THEN RAISE EXCEPTION '%: the NPY header has no shape', what USING ERRCODE = 'invalid_parameter_value'; END IF;
    shape := '{}';
    FOREACH part IN ARRAY string_to_array(m[1], ',') LOOP
        part := btrim(part);
        CONTINUE WHEN part = '';
        IF part !~ '^[0-9]{1,15}$' THEN
            RAISE EXCEPTION '%: the NPY shape (%) is not a tuple of sizes', what, m[1] USING ERRCODE = 'invalid_parameter_value';
        END IF;
        shape := shape || part::bigint;
        needed := needed * part::numeric;
    END LOOP;
    itemsize := nullif(substring(descr FROM '[0-9]+$'), '')::bigint;
    IF itemsize IS NOT NULL AND octet_length(data) - header_start - header_len < needed * itemsize THEN
        RAISE EXCEPTION '%: the NPY header claims shape (%) of %, which needs % bytes, but the file holds %',
            what, array_to_string(shape, ', '), descr, needed * itemsize, octet_length(data) - header_start - header_len
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END;
$$;

-- Stores bytes as an input (once per content) and returns their SHA-256, the name a dataset of type
-- `stored` uses. The size is checked against isomine.max_input_bytes().
CREATE FUNCTION isomine.store_input(data bytea, format text, what text DEFAULT 'input') RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    digest text;
BEGIN
    IF data IS NULL THEN
        RAISE EXCEPTION '%: is NULL', what USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF format IS NULL OR format NOT IN ('npy', 'csv') THEN
        RAISE EXCEPTION '%: unknown format ''%''; expected npy or csv', what, format USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF octet_length(data) > isomine.max_input_bytes() THEN
        RAISE EXCEPTION '%: is % bytes, above the upload limit of % bytes (raise it with SET isomine.max_input_bytes = ''…'')',
            what, octet_length(data), isomine.max_input_bytes() USING ERRCODE = 'program_limit_exceeded';
    END IF;
    IF format = 'npy' THEN
        PERFORM isomine.npy_header(data, what);
    END IF;
    digest := encode(sha256(data), 'hex');
    INSERT INTO isomine.inputs (sha256, format, byte_size, data) VALUES (digest, format, octet_length(data), data)
    ON CONFLICT (sha256) DO NOTHING;
    RETURN digest;
END;
$$;

-- A series: analyze jobs of one run's checkpoints. Its baseline step gives the reference of the
-- relative spread: the first step submitted, unless a submission names another (baseline_step).
CREATE TABLE isomine.series (
    name            text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$'),
    baseline_step   bigint NOT NULL,
    -- The step (and its job) for which collapse.detected was recorded: once per series.
    collapse_step   bigint,
    collapse_job_id bigint REFERENCES isomine.jobs (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE isomine.jobs ADD COLUMN series text, ADD COLUMN series_step bigint;
-- A step is submitted once per series (a second submission is refused, never replaces the first).
CREATE UNIQUE INDEX jobs_series_step ON isomine.jobs (series, series_step) WHERE series IS NOT NULL;

DROP FUNCTION isomine.enqueue(text, jsonb, integer, timestamptz, text, integer, text);

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
    series_name text;
    step bigint;
    existing bigint;
    digest text;
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
                left(coalesce(series_name, enqueue.spec->'series'::text), 100) USING ERRCODE = 'invalid_parameter_value';
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
        ON CONFLICT (name) DO UPDATE SET baseline_step = coalesce(CASE WHEN (enqueue.spec->>'baseline_step') ~ '^[0-9]{1,10}$' THEN (enqueue.spec->>'baseline_step')::bigint END,
                                                                  isomine.series.baseline_step);
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

-- Submits one step of a series from NPY bytes: stores both arrays (after checking their headers:
-- float32/float64 (N, D) embeddings, (N,) integer labels, N equal) and queues an analyze job.
-- options: margin, probe_size, iterations, seed, reference_scale, blas_threads, name, queue,
-- baseline_step (analyze spec fields), priority and max_attempts (queue fields).
CREATE FUNCTION isomine.submit_embeddings(series text, step bigint, embeddings bytea, labels bytea, options jsonb DEFAULT '{}')
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    allowed text[] := ARRAY['margin', 'probe_size', 'iterations', 'seed', 'reference_scale', 'blas_threads', 'name', 'queue',
                            'baseline_step', 'priority', 'max_attempts'];
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

-- Webhook bodies: a one-line human summary on every payload, and Slack-compatible bodies
-- ({"text": summary}) for endpoints that choose them.
ALTER TABLE isomine.webhook_endpoints ADD COLUMN format text NOT NULL DEFAULT 'standard' CHECK (format IN ('standard', 'slack'));

-- The one-line summary of an event: what, which job or series, which step of how many, key figures, reasons.
CREATE FUNCTION isomine.event_summary(type text, job isomine.jobs, data jsonb) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    who text := 'job ' || job.id || coalesce(' "' || left(job.spec->>'name', 80) || '"', '') || ' (' || job.kind || ')';
    figures text;
    reasons text;
BEGIN
    IF data->>'series' IS NOT NULL THEN
        who := 'series "' || (data->>'series') || '" (job ' || job.id || ')';
    END IF;
    figures := concat_ws(', ',
        'verdict ' || coalesce(data->>'verdict', job.result->>'verdict'),
        'P@1 ' || round(coalesce(data->>'precision_at_1', data->'signals'->>'precision_at_1', job.result->'final'->'eval'->>'precision_at_1')::numeric, 3),
        'relative spread ' || round((data->'signals'->>'relative_spread')::numeric, 3),
        'loss ' || round((data->'signals'->>'loss')::numeric, 4));
    SELECT string_agg(r->>'code', ', ') INTO reasons FROM jsonb_array_elements(CASE WHEN jsonb_typeof(data->'signals'->'reasons') = 'array'
                                                                                 THEN data->'signals'->'reasons' ELSE '[]' END) r;
    RETURN CASE type
        WHEN 'job.succeeded' THEN who || ' succeeded' || coalesce(': ' || nullif(figures, ''), '')
        WHEN 'job.failed' THEN who || ' failed on attempt ' || job.attempt || ' of ' || job.max_attempts || ': ' || left(coalesce(job.last_error, 'no error recorded'), 300)
        WHEN 'job.dead' THEN who || ' is dead after ' || job.attempt || ' attempts: ' || left(coalesce(job.last_error, 'no error recorded'), 300)
        WHEN 'collapse.detected' THEN who || ' collapsed at step ' || coalesce(data->>'step', '?')
            || CASE WHEN data->>'series' IS NULL AND job.kind = 'train' THEN ' of ' || coalesce(job.spec->>'steps', '2000') ELSE '' END
            || coalesce(': ' || nullif(figures, ''), '') || coalesce(' — reasons: ' || reasons, '')
        WHEN 'sweep.finished' THEN who || ' finished: ' || coalesce(data->>'runs', '?') || ' runs, ' || coalesce(data->>'collapsed', '?')
            || ' collapsed, ' || coalesce(data->>'failed', '?') || ' failed'
        WHEN 'report.ready' THEN 'report of ' || who || ' is ready: ' || coalesce(data->>'url', '')
        ELSE who || ': ' || type
    END;
END;
$$;

DROP TRIGGER job_events_webhooks ON isomine.job_events;
DROP FUNCTION isomine.on_job_event_subscribed();

CREATE FUNCTION isomine.on_job_event_subscribed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    job  isomine.jobs%ROWTYPE;
    html text;
    data jsonb;
    summary text;
    link text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM isomine.webhook_endpoints e WHERE e.enabled AND NEW.type = ANY (e.events)) THEN
        NEW.data := NEW.data - '_report_html';
        RETURN NEW;
    END IF;
    html := NEW.data->>'_report_html';
    NEW.data := NEW.data - '_report_html';
    SELECT * INTO job FROM isomine.jobs WHERE id = NEW.job_id;
    data := jsonb_strip_nulls(jsonb_build_object(
                'job_id', job.id, 'kind', job.kind, 'name', job.spec->>'name', 'parent_id', job.parent_id,
                'series', job.series, 'series_step', job.series_step,
                'state', CASE NEW.type WHEN 'job.succeeded' THEN 'succeeded' WHEN 'job.failed' THEN 'failed'
                                       WHEN 'job.dead' THEN 'dead' ELSE job.state END))
            || NEW.data;
    summary := isomine.event_summary(NEW.type, job, data);
    link := coalesce(data->>'report_url', data->>'url');
    INSERT INTO isomine.webhook_deliveries (endpoint_id, job_id, message_id, event_type, payload)
    SELECT e.id, job.id, 'msg_' || replace(gen_random_uuid()::text, '-', ''), NEW.type,
           CASE WHEN e.format = 'slack' THEN jsonb_build_object('text', summary || coalesce(' <' || link || '|report>', ''))
           ELSE jsonb_build_object(
               'type', NEW.type,
               'timestamp', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               'summary', summary,
               'data', CASE WHEN e.attach_report AND html IS NOT NULL THEN data || jsonb_build_object('report_html', html) ELSE data END)
           END
      FROM isomine.webhook_endpoints e
     WHERE e.enabled AND NEW.type = ANY (e.events);
    IF FOUND THEN
        PERFORM pg_notify('isomine_webhooks', NEW.type);
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER job_events_webhooks
    BEFORE INSERT ON isomine.job_events
    FOR EACH ROW
    WHEN (NEW.type IN ('job.succeeded', 'job.failed', 'job.dead', 'collapse.detected', 'sweep.finished', 'report.ready'))
    EXECUTE FUNCTION isomine.on_job_event_subscribed();

-- A series as JSON: its baseline, where collapse.detected was recorded, and each step's state,
-- verdict, the codes of the reasons that lowered it and its key figures (what `isomine series show
-- --json` prints and the Python client's series() returns). NULL when there is no such series.
CREATE FUNCTION isomine.series_json(series_name text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'name', s.name, 'baseline_step', s.baseline_step, 'collapse_step', s.collapse_step,
        'created_at', to_char(s.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'steps', coalesce((
            SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                       'step', j.series_step, 'job_id', j.id, 'state', j.state, 'verdict', j.result->>'verdict',
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
                       'last_error', j.last_error)) ORDER BY j.series_step)
              FROM isomine.jobs j WHERE j.series = s.name), '[]')))
      FROM isomine.series s WHERE s.name = series_name
$$;
