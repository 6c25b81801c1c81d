-- isomine.on_job_event_subscribed: its current definition, applied by `isomine migrate` whenever this file changes
-- (see sql/functions/README.md). Last defined by 013_slack_escape_and_enqueue.sql before it moved here;
-- a series' own event (015: no job) carries the series' name.
CREATE OR REPLACE FUNCTION isomine.on_job_event_subscribed() RETURNS trigger
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
                'series', coalesce(job.series, NEW.series), 'series_step', job.series_step,
                'state', CASE NEW.type WHEN 'job.succeeded' THEN 'succeeded' WHEN 'job.failed' THEN 'failed'
                                       WHEN 'job.dead' THEN 'dead' ELSE job.state END))
            || NEW.data;
    summary := isomine.event_summary(NEW.type, job, data);
    link := coalesce(data->>'report_url', data->>'url');
    INSERT INTO isomine.webhook_deliveries (endpoint_id, job_id, message_id, event_type, payload)
    SELECT e.id, job.id, 'msg_' || replace(gen_random_uuid()::text, '-', ''), NEW.type,
           CASE WHEN e.format = 'slack' THEN jsonb_build_object('text', isomine.slack_escape(summary) || coalesce(' <' || link || '|report>', ''))
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
