-- isomine.event_summary: its current definition, applied by `isomine migrate` whenever this file changes
-- (see sql/functions/README.md). Last defined by 012_verdict_headline.sql before it moved here; a
-- series' own event (015: job null) names the series alone. A train run's collapse.warning ends with what
-- the run did on it (`on_warning.summary`, written by the worker), when it did something.
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
        -- A monitored series' own event has no job (015).
        who := 'series "' || (data->>'series') || '"' || coalesce(' (job ' || job.id || ')', '');
    END IF;
    figures := concat_ws(', ',
        'verdict ' || coalesce(data->>'headline', job.result->'final'->'diagnosis'->>'headline', data->>'verdict', job.result->>'verdict'),
        'P@1 ' || round(coalesce(data->>'precision_at_1', data->'signals'->>'precision_at_1', job.result->'final'->'eval'->>'precision_at_1')::numeric, 3),
        'relative spread ' || round((data->'signals'->>'relative_spread')::numeric, 3),
        'batch spread ' || round((data->'signals'->>'batch_spread_ratio')::numeric, 3),
        'loss ' || round((data->'signals'->>'loss')::numeric, 4),
        'collapse risk ' || round((data->'risk'->>'risk')::numeric, 2));
    SELECT string_agg(r->>'code', ', ') INTO reasons FROM jsonb_array_elements(reasonList) r;
    RETURN CASE type
        WHEN 'job.succeeded' THEN who || ' succeeded' || coalesce(': ' || nullif(figures, ''), '')
        WHEN 'job.failed' THEN who || ' failed on attempt ' || job.attempt || ' of ' || job.max_attempts || ': ' || left(coalesce(job.last_error, 'no error recorded'), 300)
        WHEN 'job.dead' THEN who || ' is dead after ' || job.attempt || ' attempts: ' || left(coalesce(job.last_error, 'no error recorded'), 300)
        WHEN 'collapse.detected' THEN who || ' collapsed at step ' || coalesce(data->>'step', '?') || ofSteps
            || coalesce(': ' || nullif(figures, ''), '') || coalesce(' — reasons: ' || reasons, '')
        WHEN 'collapse.warning' THEN who || ' may be collapsing: warning at step ' || coalesce(data->>'step', '?') || ofSteps
            || coalesce(': ' || nullif(figures, ''), '') || coalesce(' — reasons: ' || reasons, '')
            || coalesce(' — on_warning: ' || left(data->'on_warning'->>'summary', 200), '')
        WHEN 'sweep.finished' THEN who || ' finished: ' || coalesce(data->>'runs', '?') || ' runs, ' || coalesce(data->>'collapsed', '?')
            || ' collapsed, ' || coalesce(data->>'failed', '?') || ' failed'
        WHEN 'report.ready' THEN 'report of ' || who || ' is ready: ' || coalesce(data->>'url', '')
        ELSE who || ': ' || type
    END;
END;
$$;
