-- Webhooks (Standard Webhooks): endpoints, and an outbox of deliveries written by a trigger in the
-- same transaction as the job event they announce, so an event is never announced without being
-- recorded nor recorded without being announced. The worker's dispatcher posts them.

CREATE TABLE isomine.webhook_endpoints (
    id              bigserial PRIMARY KEY,
    url             text NOT NULL CHECK (url ~* '^https?://'),
    events          text[] NOT NULL,
    -- whsec_ + base64 of the HMAC key.
    secret          text NOT NULL CHECK (secret LIKE 'whsec\_%'),
    attach_report   boolean NOT NULL DEFAULT false,
    enabled         boolean NOT NULL DEFAULT true,
    disabled_reason text,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE isomine.webhook_deliveries (
    id              bigserial PRIMARY KEY,
    endpoint_id     bigint NOT NULL REFERENCES isomine.webhook_endpoints (id) ON DELETE CASCADE,
    job_id          bigint REFERENCES isomine.jobs (id) ON DELETE SET NULL,
    -- The webhook-id header: the same on every attempt, so receivers can deduplicate.
    message_id      text NOT NULL UNIQUE,
    event_type      text NOT NULL,
    payload         jsonb NOT NULL,
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    locked_until    timestamptz,
    last_status     integer,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz
);
CREATE INDEX webhook_deliveries_due ON isomine.webhook_deliveries (next_attempt_at, id) WHERE state = 'pending';

CREATE TABLE isomine.webhook_attempts (
    delivery_id bigint NOT NULL REFERENCES isomine.webhook_deliveries (id) ON DELETE CASCADE,
    attempt     integer NOT NULL,
    status      integer,
    error       text,
    duration_ms double precision NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (delivery_id, attempt)
);

-- Before a job event is stored: queue one delivery per enabled endpoint subscribed to its type.
-- data = the job's identity (and state for job.* events) merged with the event's own data; a
-- report.ready event may carry the report HTML under _report_html, which only endpoints created
-- with attach_report receive (as report_html) and which is not kept in job_events.
CREATE FUNCTION isomine.on_job_event() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    job  isomine.jobs%ROWTYPE;
    html text;
    data jsonb;
BEGIN
    IF NEW.type NOT IN ('job.succeeded', 'job.failed', 'job.dead', 'collapse.detected', 'sweep.finished', 'report.ready') THEN
        RETURN NEW;
    END IF;
    html := NEW.data->>'_report_html';
    NEW.data := NEW.data - '_report_html';
    SELECT * INTO job FROM isomine.jobs WHERE id = NEW.job_id;
    data := jsonb_strip_nulls(jsonb_build_object(
                'job_id', job.id, 'kind', job.kind, 'name', job.spec->>'name', 'parent_id', job.parent_id,
                'state', CASE NEW.type WHEN 'job.succeeded' THEN 'succeeded' WHEN 'job.failed' THEN 'failed'
                                       WHEN 'job.dead' THEN 'dead' ELSE job.state END))
            || NEW.data;
    INSERT INTO isomine.webhook_deliveries (endpoint_id, job_id, message_id, event_type, payload)
    SELECT e.id, job.id, 'msg_' || replace(gen_random_uuid()::text, '-', ''), NEW.type,
           jsonb_build_object(
               'type', NEW.type,
               'timestamp', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               'data', CASE WHEN e.attach_report AND html IS NOT NULL THEN data || jsonb_build_object('report_html', html) ELSE data END)
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
    FOR EACH ROW EXECUTE FUNCTION isomine.on_job_event();
