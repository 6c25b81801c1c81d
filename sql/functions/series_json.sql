-- isomine.series_json: its current definition, applied by `isomine migrate` whenever this file changes
-- (see sql/functions/README.md). Last defined by 012_verdict_headline.sql before it moved here; a
-- monitored series (015) also has its monitor's settings, step-0 risk, signal count and own warning;
-- each step its provisional verdict (016) with the seconds from the job's start to it; the margin its
-- steps are judged at (020). Every top-level
-- key is present, null when it does not apply (a client reads s["collapse_step"] of a healthy series);
-- a step's keys are those it has.
CREATE OR REPLACE FUNCTION isomine.series_json(series_name text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'name', s.name, 'margin', s.margin, 'normalize', s.normalize, 'baseline_step', s.baseline_step, 'collapse_step', s.collapse_step, 'warning_step', s.warning_step,
        'created_at', to_char(s.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'monitor', s.monitor, 'risk', s.risk, 'warning', s.warning,
        'signals', CASE WHEN s.monitor IS NOT NULL THEN (
            SELECT jsonb_build_object('rows', count(*), 'last_step', max(g.step), 'evaluated_step', s.signals_evaluated)
              FROM isomine.series_signals g WHERE g.series = s.name) END,
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
                       -- Context the verdict notes without lowering it (collapsed_on_the_sphere, spread_below_reference, …).
                       'context', coalesce((SELECT jsonb_agg(r->'code') FROM jsonb_array_elements(
                                                CASE WHEN jsonb_typeof(j.result->'final'->'diagnosis'->'reasons') = 'array'
                                                     THEN j.result->'final'->'diagnosis'->'reasons' ELSE '[]' END) r
                                             WHERE r->>'level' = 'healthy' AND r->>'code' <> 'classes_retrievable'), '[]'),
                       'warning', (SELECT jsonb_agg(r->'code') FROM jsonb_array_elements(
                                      CASE WHEN jsonb_typeof(j.result->'warning'->'reasons') = 'array'
                                           THEN j.result->'warning'->'reasons' ELSE '[]' END) r),
                       'provisional', CASE WHEN j.provisional IS NOT NULL THEN jsonb_build_object(
                           'verdict', j.provisional->'verdict', 'headline', j.provisional->'headline',
                           'seconds', round(extract(epoch FROM j.provisional_at - j.started_at)::numeric, 3),
                           'contradicted', CASE WHEN j.result ? 'verdict' THEN j.result->>'verdict' <> j.provisional->>'verdict' END) END,
                       'last_error', j.last_error)) ORDER BY j.series_step)
              FROM isomine.jobs j WHERE j.series = s.name), '[]'))
      FROM isomine.series s WHERE s.name = series_name
$$;
