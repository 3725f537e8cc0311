-- Deploy odyssey:schema/queue to pg
-- requires: schema/core
-- The job queue (issue 5, point 1): a table that only ever holds UNFINISHED jobs (queued or
-- running; a completed job is deleted, an exhausted one moves to dead_letters), so it stays small
-- and every hot index is tiny. Workers go through the queue.* functions only.
--
-- Index budget. A dequeue turns a queued row into a running one (not a HOT update: status is an
-- index predicate). Partial indexes WHERE status = 'queued' cost nothing on that path (the new
-- tuple is not in them); only the primary key and the running index receive an entry. That is
-- why there is no plain index on vendor_id: the table is small, vendor reads are rare, and
-- tenant_key leads both partial indexes.
BEGIN;

CREATE SCHEMA queue;
COMMENT ON SCHEMA queue IS 'Job queue: jobs, dead letters, kinds, per-vendor caps, fairness turns.';

-- Per kind configuration: defaults for new jobs and the per-vendor concurrency cap.
CREATE TABLE queue.kinds (
    kind                    text     NOT NULL PRIMARY KEY CHECK (kind ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$'),
    max_running_per_vendor  integer  CHECK (max_running_per_vendor >= 0),
    max_attempts            smallint NOT NULL DEFAULT 5 CHECK (max_attempts BETWEEN 1 AND 100),
    backoff_base            interval NOT NULL DEFAULT '2 seconds' CHECK (backoff_base > interval '0'),
    backoff_cap             interval NOT NULL DEFAULT '10 minutes',
    description             text,
    CHECK (backoff_cap >= backoff_base)
);
COMMENT ON TABLE queue.kinds IS 'Job kinds a worker may run. max_running_per_vendor: concurrency cap per vendor (platform jobs count as one tenant), NULL = uncapped, 0 = paused.';

-- A vendor's own cap for a kind, overriding queue.kinds.max_running_per_vendor.
CREATE TABLE queue.vendor_caps (
    vendor_id    uuid    NOT NULL REFERENCES core.vendors (id) ON DELETE CASCADE,
    kind         text    NOT NULL REFERENCES queue.kinds (kind) ON DELETE CASCADE,
    max_running  integer NOT NULL CHECK (max_running >= 0),
    PRIMARY KEY (vendor_id, kind)
);
COMMENT ON TABLE queue.vendor_caps IS 'Per-vendor concurrency caps by kind (0 pauses the vendor''s jobs of that kind).';

CREATE TABLE queue.jobs (
    id                bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind              text        NOT NULL,
    vendor_id         uuid        REFERENCES core.vendors (id) ON DELETE CASCADE,
    -- The tenant as a non-null key (the nil UUID for platform jobs): fairness and caps group by it.
    tenant_key        uuid        NOT NULL GENERATED ALWAYS AS
                                  (coalesce(vendor_id, '00000000-0000-0000-0000-000000000000'::uuid)) STORED,
    payload           jsonb       NOT NULL DEFAULT '{}',
    priority          smallint    NOT NULL DEFAULT 0 CHECK (priority BETWEEN -1000 AND 1000),
    run_at            timestamptz NOT NULL DEFAULT now(),
    -- text, not an enum: enum equality is not leakproof, and under RLS a non-leakproof qual
    -- cannot be an index condition (the partial indexes below would be unusable).
    status            text        NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running')),
    attempts          smallint    NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts      smallint    NOT NULL DEFAULT 5 CHECK (max_attempts BETWEEN 1 AND 100),
    dedupe_key        text        CHECK (length(dedupe_key) BETWEEN 1 AND 500),
    locked_by         text,
    locked_at         timestamptz,
    lease_expires_at  timestamptz,
    cap_slot          integer,    -- the concurrency slot a running capped job holds (queue.cap_slots)
    cancel_requested  boolean     NOT NULL DEFAULT false,
    last_error        text,
    errors            jsonb       NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(errors) = 'array'),
    created_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT jobs_lock_matches_status CHECK
        ((status = 'running') = (locked_by IS NOT NULL AND lease_expires_at IS NOT NULL AND locked_at IS NOT NULL))
);
COMMENT ON TABLE queue.jobs IS 'Unfinished jobs only (queued or running): completed jobs are deleted, exhausted ones move to queue.dead_letters.';
COMMENT ON COLUMN queue.jobs.attempts IS 'Number of times the job was handed to a worker (counted at dequeue).';
COMMENT ON COLUMN queue.jobs.errors IS 'One {attempt, at, worker, error} object per failed attempt.';

-- The dequeue predicate: per (kind, tenant), best priority first, then the earliest run_at.
-- It also serves the skip scan that lists the (kind, tenant) pairs with queued jobs.
CREATE INDEX jobs_ready_idx ON queue.jobs (kind, tenant_key, priority DESC, run_at, id) WHERE status = 'queued';
-- When does the next job of a kind become due (idle workers sleep until then).
CREATE INDEX jobs_due_idx ON queue.jobs (kind, run_at) WHERE status = 'queued';
-- Running jobs: counted per (kind, tenant) for the caps, scanned by the reaper.
CREATE INDEX jobs_running_idx ON queue.jobs (kind, tenant_key) WHERE status = 'running';
-- Deduplication among unfinished jobs, per tenant and kind.
CREATE UNIQUE INDEX jobs_dedupe_key ON queue.jobs (tenant_key, kind, dedupe_key) WHERE dedupe_key IS NOT NULL;

-- Small, hot table: keep it vacuumed and its statistics fresh.
ALTER TABLE queue.jobs SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000,
                            autovacuum_analyze_scale_factor = 0.02, autovacuum_vacuum_cost_delay = 0,
                            fillfactor = 80);

CREATE TABLE queue.dead_letters (
    id            bigint      NOT NULL PRIMARY KEY,
    kind          text        NOT NULL,
    vendor_id     uuid        REFERENCES core.vendors (id) ON DELETE CASCADE,
    payload       jsonb       NOT NULL,
    priority      smallint    NOT NULL,
    attempts      smallint    NOT NULL,
    max_attempts  smallint    NOT NULL,
    dedupe_key    text,
    last_error    text,
    errors        jsonb       NOT NULL CHECK (jsonb_typeof(errors) = 'array'),
    created_at    timestamptz NOT NULL,
    failed_at     timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE queue.dead_letters IS 'Jobs that exhausted their attempts (or failed permanently), with every attempt''s error.';
CREATE INDEX dead_letters_vendor_idx ON queue.dead_letters (vendor_id, failed_at DESC);
CREATE INDEX dead_letters_failed_idx ON queue.dead_letters (failed_at);

-- Fair round robin: when each tenant was last served (a sequence value, not a clock). The tenant
-- served least recently goes first; a row is created at the tenant's first enqueue.
CREATE SEQUENCE queue.turn_seq;
CREATE TABLE queue.vendor_turns (
    tenant_key  uuid   NOT NULL PRIMARY KEY,
    served      bigint NOT NULL DEFAULT 0
);
COMMENT ON TABLE queue.vendor_turns IS 'Round-robin state: last service tick per tenant (nil UUID = platform jobs).';
ALTER TABLE queue.vendor_turns SET (fillfactor = 50, autovacuum_vacuum_scale_factor = 0.0,
                                    autovacuum_vacuum_threshold = 500, autovacuum_vacuum_cost_delay = 0);

-- Concurrency caps as semaphores: a capped (tenant, kind) has one row per slot (slot < cap); a
-- dequeue may take a job only with a free slot it locks (FOR UPDATE SKIP LOCKED), so the cap holds
-- exactly under concurrency (counting running jobs would not: concurrent dequeues do not see each
-- other's uncommitted jobs). The job records its slot (jobs.cap_slot); completing, failing,
-- reaping or releasing it frees the slot. job_id is not indexed, so taking and freeing a slot are
-- HOT updates of a tiny table (fillfactor 10 leaves room for the new versions). Slots are created for a tenant's first job of a kind, and when a
-- cap is set.
CREATE TABLE queue.cap_slots (
    tenant_key  uuid     NOT NULL,
    kind        text     NOT NULL REFERENCES queue.kinds (kind) ON DELETE CASCADE,
    slot        integer  NOT NULL CHECK (slot >= 0),
    job_id      bigint,
    PRIMARY KEY (tenant_key, kind, slot)
);
COMMENT ON TABLE queue.cap_slots IS 'Per (tenant, kind) concurrency slots: a running capped job holds one (job_id); slots >= the current cap are not used.';
ALTER TABLE queue.cap_slots SET (fillfactor = 10, autovacuum_vacuum_threshold = 500, autovacuum_vacuum_scale_factor = 0.0,
                                 autovacuum_vacuum_cost_delay = 0);

-- Built-in kinds. ingest.csv: the ingestion pipeline (payload {"job_id": <ingest.ingestion_jobs.id>}).
INSERT INTO queue.kinds (kind, max_running_per_vendor, max_attempts, backoff_base, backoff_cap, description) VALUES
    ('ingest.csv', 2, 5, '10 seconds', '15 minutes', 'CSV ingestion of one ingest.ingestion_jobs row: payload {"job_id": uuid}'),
    ('noop', NULL, 5, '1 second', '1 minute', 'Does nothing (tests, benchmarks)'),
    ('sleep', 2, 5, '1 second', '1 minute', 'Sleeps payload.seconds, heartbeating (tests, benchmarks)');

COMMIT;
