-- The collapse warning of a series: the step (and its job) for which collapse.warning was recorded,
-- once per series and only before its collapse.detected; series_json gives it and each step's
-- warning; the event's summary names the series without a step count.
ALTER TABLE isomine.series
    ADD COLUMN warning_step   bigint,
    ADD COLUMN warning_job_id bigint REFERENCES isomine.jobs (id) ON DELETE SET NULL;

CREATE OR REPLACE FUNCTION isomine.series_json(series_name text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'name', s.name, 'baseline_step', s.baseline_step, 'collapse_step', s.collapse_step, 'warning_step', s.warning_step,
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
        'verdict ' || coalesce(data->>'verdict', job.result->>'verdict'),
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
