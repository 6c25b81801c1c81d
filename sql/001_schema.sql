-- isomine schema: jobs, their events, metrics, checkpoints, artifacts and reports.
CREATE SCHEMA IF NOT EXISTS isomine;

CREATE TABLE isomine.jobs (
    id            bigserial PRIMARY KEY,
    kind          text NOT NULL CHECK (kind IN ('train', 'analyze', 'sweep')),
    spec          jsonb NOT NULL,
    state         text NOT NULL DEFAULT 'queued'
                  CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'dead')),
    priority      integer NOT NULL DEFAULT 0,
    run_after     timestamptz NOT NULL DEFAULT now(),
    attempt       integer NOT NULL DEFAULT 0,
    max_attempts  integer NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
    lease_owner   text,
    lease_expires timestamptz,
    heartbeat_at  timestamptz,
    last_error    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    started_at    timestamptz,
    finished_at   timestamptz,
    parent_id     bigint REFERENCES isomine.jobs (id) ON DELETE CASCADE,
    unique_key    text,
    result        jsonb
);
-- Dedupe: one live job per unique_key (finished jobs free the key).
CREATE UNIQUE INDEX jobs_unique_key ON isomine.jobs (unique_key)
    WHERE unique_key IS NOT NULL AND state IN ('queued', 'running');
CREATE INDEX jobs_claim ON isomine.jobs (priority DESC, run_after, id) WHERE state = 'queued';
CREATE INDEX jobs_lease ON isomine.jobs (lease_expires) WHERE state = 'running';
CREATE INDEX jobs_parent ON isomine.jobs (parent_id) WHERE parent_id IS NOT NULL;

CREATE TABLE isomine.job_events (
    id         bigserial PRIMARY KEY,
    job_id     bigint NOT NULL REFERENCES isomine.jobs (id) ON DELETE CASCADE,
    type       text NOT NULL,
    data       jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX job_events_job ON isomine.job_events (job_id, id);

CREATE TABLE isomine.metrics (
    job_id bigint NOT NULL REFERENCES isomine.jobs (id) ON DELETE CASCADE,
    name   text NOT NULL,
    step   integer NOT NULL,
    value  double precision NOT NULL,
    PRIMARY KEY (job_id, name, step)
);

CREATE TABLE isomine.checkpoints (
    job_id     bigint PRIMARY KEY REFERENCES isomine.jobs (id) ON DELETE CASCADE,
    step       integer NOT NULL,
    data       bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE isomine.artifacts (
    job_id     bigint NOT NULL REFERENCES isomine.jobs (id) ON DELETE CASCADE,
    name       text NOT NULL,
    data       bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, name)
);

CREATE TABLE isomine.reports (
    job_id     bigint PRIMARY KEY REFERENCES isomine.jobs (id) ON DELETE CASCADE,
    path       text NOT NULL,
    sha256     text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
