-- isomine.submit_signals: its current definition, applied by `isomine migrate` whenever this file changes
-- (see sql/functions/README.md). First defined here (issue 22).
--
-- Stores per-step signal rows of a monitored series (see isomine.start_monitor) for the workers to
-- evaluate: `rows` is a JSON array of objects with the trainer's signal fields (step, loss,
-- active_fraction, mean_positive, mean_negative, gap, batch_spread; optionally loss_ratio,
-- batch_spread_ratio, output_norm, effective_rank), steps increasing, each number within ±1e300 (one
-- under 1e-300 in magnitude is stored as 0: see isomine.json_double). A row identical to one already
-- stored at its step is skipped (a resend after a lost reply); any other row at or before the last
-- stored step is refused. Returns how many rows were stored. Nothing is stored when a row is refused.
CREATE OR REPLACE FUNCTION isomine.submit_signals(series text, rows jsonb) RETURNS integer
-- SECURITY DEFINER (017_client_role.sql): a client role runs it without rights on the tables; the
-- search path is fixed so that nothing of the caller's can stand in for pg_catalog's or isomine's objects.
SECURITY DEFINER SET search_path = pg_catalog, isomine, pg_temp
LANGUAGE plpgsql AS $$
DECLARE
    required text[] := ARRAY['step', 'loss', 'active_fraction', 'mean_positive', 'mean_negative', 'gap', 'batch_spread'];
    optional text[] := ARRAY['loss_ratio', 'batch_spread_ratio', 'output_norm', 'effective_rank'];
    nonnegative text[] := ARRAY['loss', 'loss_ratio', 'mean_positive', 'mean_negative', 'batch_spread', 'batch_spread_ratio', 'output_norm', 'effective_rank'];
    monitor jsonb;
    found_series boolean;
    last_step bigint;
    previous bigint := -1;
    stored integer := 0;
    i integer := 0;
    r jsonb;
    key text;
    value jsonb;
    row_step bigint;
    row_signals jsonb;
    existing jsonb;
BEGIN
    IF series IS NULL OR series !~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$' THEN
        RAISE EXCEPTION 'isomine.submit_signals: series name ''%'' is not valid; use 1 to 100 of A-Z, a-z, 0-9, _ . - starting with a letter or digit',
            left(coalesce(series, 'NULL'), 100) USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT true, s.monitor INTO found_series, monitor FROM isomine.series s WHERE s.name = submit_signals.series;
    IF found_series IS NULL THEN
        RAISE EXCEPTION 'isomine.submit_signals: there is no series "%"; start its monitor first with isomine.start_monitor(series, settings)', series
            USING ERRCODE = 'no_data_found';
    ELSIF monitor IS NULL THEN
        RAISE EXCEPTION 'isomine.submit_signals: series "%" is a series of checkpoints with no monitor; start one with isomine.start_monitor(series, settings)', series
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF rows IS NULL OR jsonb_typeof(rows) <> 'array' OR jsonb_array_length(rows) = 0 OR jsonb_array_length(rows) > 10000 THEN
        RAISE EXCEPTION 'isomine.submit_signals: rows must be a JSON array of 1 to 10000 row objects' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- One submission per series at a time: the step order check and the inserts see each other.
    PERFORM pg_advisory_xact_lock(hashtext('isomine.submit_signals'), hashtext(series));
    SELECT max(g.step) INTO last_step FROM isomine.series_signals g WHERE g.series = submit_signals.series;
    FOR r IN SELECT x FROM jsonb_array_elements(rows) x LOOP
        i := i + 1;
        IF jsonb_typeof(r) <> 'object' THEN
            RAISE EXCEPTION 'isomine.submit_signals: row % is not a JSON object', i USING ERRCODE = 'invalid_parameter_value';
        END IF;
        FOR key, value IN SELECT * FROM jsonb_each(r) LOOP
            IF NOT (key = ANY (required) OR key = ANY (optional)) THEN
                RAISE EXCEPTION 'isomine.submit_signals: row % has an unknown field ''%''; known fields: %', i, left(key, 100),
                    array_to_string(required || optional, ', ') USING ERRCODE = 'invalid_parameter_value';
            END IF;
            -- Numbers the workers read as doubles: within ±1e300, and under 1e-300 in magnitude read as 0.
            IF isomine.json_double(value) IS NULL THEN
                RAISE EXCEPTION 'isomine.submit_signals: row % field % is %, not a finite number', i, key, left(value::text, 40)
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            IF key = ANY (nonnegative) AND (isomine.json_double(value) #>> '{}')::numeric < 0 THEN
                RAISE EXCEPTION 'isomine.submit_signals: row % field % is %, below 0', i, key, value USING ERRCODE = 'invalid_parameter_value';
            END IF;
        END LOOP;
        FOREACH key IN ARRAY required LOOP
            IF NOT r ? key THEN
                RAISE EXCEPTION 'isomine.submit_signals: row % has no %', i, key USING ERRCODE = 'invalid_parameter_value';
            END IF;
        END LOOP;
        IF (r->>'active_fraction')::numeric > 1 THEN
            RAISE EXCEPTION 'isomine.submit_signals: row % active_fraction is %, above 1', i, r->'active_fraction' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF (r->>'step')::numeric <> trunc((r->>'step')::numeric) OR (r->>'step')::numeric < 0 OR (r->>'step')::numeric > 2147483647 THEN
            RAISE EXCEPTION 'isomine.submit_signals: row % step must be a whole number from 0 to 2147483647, got %', i, r->'step'
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        row_step := (r->>'step')::bigint;
        IF row_step <= previous THEN
            RAISE EXCEPTION 'isomine.submit_signals: row % has step %, not after the previous row''s step %: steps must increase', i, row_step, previous
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        previous := row_step;
        -- Stored as the workers read them (isomine.json_double), so a resend compares equal.
        SELECT coalesce(jsonb_object_agg(kv.key, isomine.json_double(kv.value)), '{}') INTO row_signals FROM jsonb_each(r - 'step') kv;
        IF row_step <= last_step THEN
            SELECT g.signals INTO existing FROM isomine.series_signals g WHERE g.series = submit_signals.series AND g.step = row_step;
            IF existing IS NOT NULL AND existing = row_signals THEN
                CONTINUE;
            ELSIF existing IS NOT NULL THEN
                RAISE EXCEPTION 'isomine.submit_signals: row % has step %, which series "%" already has with other values (a step is stored once)', i, row_step, series
                    USING ERRCODE = 'invalid_parameter_value',
                          HINT = 'a training loop restarted from a checkpoint continues its series (the Python monitor: resume=True), or a new run takes a new series name';
            END IF;
            RAISE EXCEPTION 'isomine.submit_signals: row % has step %, which goes backwards: series "%" already has signals up to step %', i, row_step, series, last_step
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'a training loop restarted from a checkpoint continues its series (the Python monitor: resume=True), or a new run takes a new series name';
        END IF;
        INSERT INTO isomine.series_signals (series, step, signals) VALUES (submit_signals.series, row_step, row_signals);
        stored := stored + 1;
    END LOOP;
    IF stored > 0 THEN
        PERFORM pg_notify('isomine_signals', series);
    END IF;
    RETURN stored;
END;
$$;

-- Callable by isomine_client, not by PUBLIC (017_client_role.sql).
SELECT isomine.client_may_execute('isomine.submit_signals(text, jsonb)');
