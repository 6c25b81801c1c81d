-- isomine.start_monitor: its current definition, applied by `isomine migrate` whenever this file changes
-- (see sql/functions/README.md). First defined here (issue 22).
--
-- Starts the monitor of a user's training run on series `series` (created when new): the run's
-- settings and, optionally, the first batches its untrained network embedded (NPY, `batches` ×
-- batch_size rows, in order), from which a worker computes the step-0 collapse risk (when the
-- settings have learning_rate) and a trained first checkpoint reads where the run started. Returns true when
-- it started the monitor, false when the same monitor (same settings, same batches) was already
-- started (a resend after a lost reply); a different one on the same series is refused. The setting
-- `queue` (default "default") names the queue whose workers evaluate the series; `miner` (default
-- batch-hard) the loop's miner, which decides whether the step-0 risk warns (RiskModel.calibratedMiners).
CREATE OR REPLACE FUNCTION isomine.start_monitor(series text, settings jsonb, embeddings bytea DEFAULT NULL, labels bytea DEFAULT NULL)
RETURNS boolean
-- SECURITY DEFINER (017_client_role.sql): a client role runs it without rights on the tables; the
-- search path is fixed so that nothing of the caller's can stand in for pg_catalog's or isomine's objects.
SECURITY DEFINER SET search_path = pg_catalog, isomine, pg_temp
LANGUAGE plpgsql AS $$
DECLARE
    allowed text[] := ARRAY['margin', 'learning_rate', 'optimizer', 'classes_per_batch', 'samples_per_class', 'batch_size',
                            'embedding_dim', 'first_step', 'signal_every', 'client', 'queue', 'normalize', 'miner'];
    -- Triplets.Miner's names and `other` (a loop's miner that is none of them); MonitorTests holds them equal.
    miners text[] := ARRAY['batch-hard', 'batch-all', 'semi-hard', 'easy-positive', 'random', 'hardest-triplet', 'collapse-aware', 'other'];
    counts text[] := ARRAY['classes_per_batch', 'samples_per_class', 'batch_size', 'embedding_dim', 'first_step', 'signal_every'];
    key text;
    value jsonb;
    e record;
    l record;
    batch bigint;
    digest_e text;
    digest_l text;
    existing isomine.series%ROWTYPE;
BEGIN
    IF series IS NULL OR series !~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$' THEN
        RAISE EXCEPTION 'isomine.start_monitor: series name ''%'' is not valid; use 1 to 100 of A-Z, a-z, 0-9, _ . - starting with a letter or digit',
            left(coalesce(series, 'NULL'), 100) USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF settings IS NULL OR jsonb_typeof(settings) <> 'object' THEN
        RAISE EXCEPTION 'isomine.start_monitor: settings must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR key, value IN SELECT * FROM jsonb_each(settings) LOOP
        IF NOT key = ANY (allowed) THEN
            RAISE EXCEPTION 'isomine.start_monitor: unknown setting ''%''; known settings: %', left(key, 100), array_to_string(allowed, ', ')
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF key = 'queue' THEN
            -- The jobs' queue-name rule (isomine.jobs_queue_name, isomine.enqueue, SpecLimits.isQueueName).
            IF jsonb_typeof(value) <> 'string' OR (value #>> '{}') !~ '^[a-z0-9][a-z0-9_.-]{0,62}$' THEN
                RAISE EXCEPTION 'isomine.start_monitor: setting queue is %, not a queue name (1 to 63 of a-z, 0-9, _ . - starting with a letter or digit); workers serve the series of their --queues',
                    left(value::text, 70) USING ERRCODE = 'invalid_parameter_value';
            END IF;
        ELSIF key = 'normalize' THEN
            IF jsonb_typeof(value) <> 'boolean' THEN
                RAISE EXCEPTION 'isomine.start_monitor: setting normalize must be true or false (whether the loss L2-normalises the embeddings), got %',
                    left(value::text, 40) USING ERRCODE = 'invalid_parameter_value';
            END IF;
        ELSIF key = 'miner' THEN
            IF jsonb_typeof(value) <> 'string' OR NOT (value #>> '{}') = ANY (miners) THEN
                RAISE EXCEPTION 'isomine.start_monitor: setting miner is %, not one of %', left(value::text, 70), array_to_string(miners, ', ')
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
        ELSIF key IN ('optimizer', 'client') THEN
            IF jsonb_typeof(value) <> 'string' OR length(value #>> '{}') > 100 THEN
                RAISE EXCEPTION 'isomine.start_monitor: setting % must be a string of at most 100 characters', key USING ERRCODE = 'invalid_parameter_value';
            END IF;
        ELSIF isomine.json_double(value) IS NULL THEN
            -- Numbers the workers read as doubles: within ±1e300 (isomine.json_double).
            RAISE EXCEPTION 'isomine.start_monitor: setting % is %, not a finite number', key, left(value::text, 40) USING ERRCODE = 'invalid_parameter_value';
        ELSIF key = ANY (counts) AND ((value #>> '{}')::numeric <> trunc((value #>> '{}')::numeric) OR (value #>> '{}')::numeric < CASE key WHEN 'first_step' THEN 0 ELSE 1 END
                                      OR (value #>> '{}')::numeric > 2147483647) THEN
            RAISE EXCEPTION 'isomine.start_monitor: setting % must be a whole number from % to 2147483647, got %', key,
                CASE key WHEN 'first_step' THEN 0 ELSE 1 END, value USING ERRCODE = 'invalid_parameter_value';
        ELSIF NOT key = ANY (counts) AND (isomine.json_double(value) #>> '{}')::numeric <= 0 THEN
            RAISE EXCEPTION 'isomine.start_monitor: setting % must be positive, got %', key, value USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END LOOP;
    -- Stored as the workers read them: a number under 1e-300 in magnitude is 0 (refused above where a
    -- setting must be positive), so a resent start compares equal.
    SELECT coalesce(jsonb_object_agg(kv.key, coalesce(isomine.json_double(kv.value), kv.value)), '{}') INTO settings FROM jsonb_each(settings) kv;
    IF NOT settings ? 'margin' THEN
        RAISE EXCEPTION 'isomine.start_monitor: settings need the margin the run trains with (margin)' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF settings ? 'batch_size' AND settings ? 'classes_per_batch' AND settings ? 'samples_per_class'
       AND (settings->>'batch_size')::bigint <> (settings->>'classes_per_batch')::bigint * (settings->>'samples_per_class')::bigint THEN
        RAISE EXCEPTION 'isomine.start_monitor: batch_size % is not classes_per_batch × samples_per_class (% × %)',
            settings->'batch_size', settings->'classes_per_batch', settings->'samples_per_class' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF (embeddings IS NULL) <> (labels IS NULL) THEN
        RAISE EXCEPTION 'isomine.start_monitor: give both the step-0 embeddings and their labels, or neither' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF embeddings IS NOT NULL THEN
        SELECT * INTO e FROM isomine.npy_header(embeddings, 'embeddings');
        SELECT * INTO l FROM isomine.npy_header(labels, 'labels');
        IF e.descr NOT IN ('<f2', '<f4', '<f8') OR cardinality(e.shape) <> 2 OR e.fortran THEN
            RAISE EXCEPTION 'embeddings: has dtype ''%'' and shape (%); the step-0 embeddings must be a C-ordered 2-D float16, float32 or float64 array',
                e.descr, array_to_string(e.shape, ', ') USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF l.descr !~ '^[<|][iu][1248]$' OR cardinality(l.shape) <> 1 THEN
            RAISE EXCEPTION 'labels: has dtype ''%'' and shape (%); the step-0 labels must be a 1-D integer array', l.descr, array_to_string(l.shape, ', ')
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF e.shape[1] <> l.shape[1] THEN
            RAISE EXCEPTION 'embeddings have % rows but labels have %; they must match', e.shape[1], l.shape[1] USING ERRCODE = 'invalid_parameter_value';
        END IF;
        batch := coalesce((settings->>'batch_size')::bigint, (settings->>'classes_per_batch')::bigint * (settings->>'samples_per_class')::bigint);
        -- The worker computes pairwise distances of each batch in its own process: batches stay small.
        IF batch > 2048 OR e.shape[2] > 4096 OR e.shape[2] < 1 THEN
            RAISE EXCEPTION 'embeddings: batches of % rows × % dimensions are over the step-0 risk''s limits (2048 rows, 4096 dimensions); send fewer settings-sized batches or none',
                batch, e.shape[2] USING ERRCODE = 'program_limit_exceeded';
        END IF;
        IF batch IS NULL OR batch < 2 OR e.shape[1] % batch <> 0 OR e.shape[1] / batch > 16 THEN
            RAISE EXCEPTION 'embeddings: % rows are not 1 to 16 whole batches of batch_size % (give batch_size, or classes_per_batch and samples_per_class)',
                e.shape[1], coalesce(batch::text, 'unknown') USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF settings ? 'embedding_dim' AND (settings->>'embedding_dim')::bigint <> e.shape[2] THEN
            RAISE EXCEPTION 'embeddings: have % columns but embedding_dim is %', e.shape[2], settings->'embedding_dim' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        digest_e := encode(sha256(embeddings), 'hex');
        digest_l := encode(sha256(labels), 'hex');
    END IF;
    -- One monitor per series: the row lock makes two concurrent starts one start and one resend. A new
    -- series has no baseline until its first checkpoint (isomine.enqueue sets it; 019_monitor_series_baseline.sql).
    INSERT INTO isomine.series (name, baseline_step) VALUES (series, NULL)
    ON CONFLICT (name) DO NOTHING;
    SELECT * INTO existing FROM isomine.series s WHERE s.name = start_monitor.series FOR UPDATE;
    IF existing.monitor IS NOT NULL THEN
        IF existing.monitor = settings AND existing.risk_embeddings IS NOT DISTINCT FROM digest_e AND existing.risk_labels IS NOT DISTINCT FROM digest_l THEN
            RETURN false;
        END IF;
        RAISE EXCEPTION 'isomine.start_monitor: series "%" already has a monitor, started with other settings or batches; give a new run a new series name', series
            USING ERRCODE = 'unique_violation';
    END IF;
    -- The series' checkpoints are judged at one margin (isomine.series.margin): the monitor reads the loop
    -- at the same one, or the warning and the verdicts would rest on different scales.
    IF existing.margin IS NOT NULL AND existing.margin <> (settings->>'margin')::double precision THEN
        RAISE EXCEPTION 'isomine.start_monitor: series ''%'' judges its steps at margin % (its first step''s); the monitor names margin %. A run trains at one margin: give the monitor the margin its checkpoints were submitted with, or start it on a new series',
            series, existing.margin, settings->'margin' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- And on one distance (isomine.series.normalize): the monitor's rows are computed on the embeddings
    -- as the loss measures them, and so are the checkpoints.
    IF existing.normalize IS NOT NULL AND existing.normalize <> coalesce((settings->>'normalize')::boolean, false) THEN
        RAISE EXCEPTION 'isomine.start_monitor: series ''%'' judges its steps on % (normalize %, its first step''s); the monitor names normalize %. A run''s loss measures one distance: give the monitor the normalize its checkpoints were submitted with, or start it on a new series',
            series, CASE WHEN existing.normalize THEN 'L2-normalised embeddings' ELSE 'the embeddings as given' END, existing.normalize::text,
            coalesce((settings->>'normalize')::boolean, false)::text USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF embeddings IS NOT NULL THEN
        PERFORM isomine.store_input(embeddings, 'npy', 'embeddings');
        PERFORM isomine.store_input(labels, 'npy', 'labels');
    END IF;
    UPDATE isomine.series s SET monitor = settings, margin = coalesce(s.margin, (settings->>'margin')::double precision),
                                normalize = coalesce(s.normalize, (settings->>'normalize')::boolean, false),
                                risk_embeddings = digest_e, risk_labels = digest_l,
                                risk_step = coalesce((settings->>'first_step')::bigint, 0)
     WHERE s.name = start_monitor.series;
    PERFORM pg_notify('isomine_signals', series);
    RETURN true;
END;
$$;

-- Callable by isomine_client, not by PUBLIC (017_client_role.sql).
SELECT isomine.client_may_execute('isomine.start_monitor(text, jsonb, bytea, bytea)');
