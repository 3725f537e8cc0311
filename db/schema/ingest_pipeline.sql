-- Deploy odyssey:schema/ingest_pipeline to pg
-- requires: schema/ingestion
-- requires: schema/webhooks
-- requires: schema/queue
-- The CSV ingestion pipeline's state (PRD §5.4, §6.2, §12):
--   * ingest.uploads: one resumable upload per ingestion job (TUS offset, length, expiry, where
--     the bytes are: the gateway's local store or Supabase Storage);
--   * ingestion_jobs.phase and .checkpoint: where a job is, and what is already committed, so a
--     worker that takes over a dead worker's job resumes instead of starting blind;
--   * hooks.events: the outbox of job.completed / job.failed, written in the transaction that
--     finalizes the job.
BEGIN;

ALTER TABLE ingest.ingestion_jobs
    ADD COLUMN phase text NOT NULL DEFAULT 'awaiting_upload'
        CHECK (phase IN ('awaiting_upload', 'queued', 'copying', 'validating', 'merging', 'analyzing', 'done')),
    ADD COLUMN checkpoint jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(checkpoint) = 'object'),
    ADD COLUMN queue_job_id bigint;
COMMENT ON COLUMN ingest.ingestion_jobs.phase IS
  'awaiting_upload -> queued -> copying -> validating -> merging -> analyzing -> done (status says how it ended).';
COMMENT ON COLUMN ingest.ingestion_jobs.checkpoint IS
  'Committed progress, updated in the same transaction as the work it describes: copy byte offset and rows, the file plan, merged_through row.';

CREATE TABLE ingest.uploads (
    job_id         uuid        NOT NULL PRIMARY KEY REFERENCES ingest.ingestion_jobs (id) ON DELETE CASCADE,
    vendor_id      uuid        NOT NULL REFERENCES core.vendors (id) ON DELETE CASCADE,
    storage        text        NOT NULL DEFAULT 'local' CHECK (storage IN ('local', 'supabase')),
    object_path    text        NOT NULL CHECK (object_path !~ '(^/|\.\.)'),
    filename       text        CHECK (length(filename) <= 255),
    upload_length  bigint      CHECK (upload_length BETWEEN 0 AND 10737418240),
    upload_offset  bigint      NOT NULL DEFAULT 0 CHECK (upload_offset >= 0),
    metadata       jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    expires_at     timestamptz NOT NULL DEFAULT now() + interval '24 hours',
    completed_at   timestamptz,
    terminated_at  timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uploads_offset_within_length CHECK (upload_length IS NULL OR upload_offset <= upload_length),
    CONSTRAINT uploads_complete_at_length CHECK (completed_at IS NULL OR upload_offset = upload_length)
);
COMMENT ON TABLE ingest.uploads IS
  'Resumable (TUS 1.0) uploads of ingestion files: object_path is relative to the store (local upload dir or Supabase bucket).';
CREATE INDEX uploads_vendor_idx ON ingest.uploads (vendor_id, job_id);
CREATE INDEX uploads_expiry_idx ON ingest.uploads (expires_at) WHERE completed_at IS NULL AND terminated_at IS NULL;
CREATE TRIGGER uploads_touch BEFORE UPDATE ON ingest.uploads FOR EACH ROW EXECUTE FUNCTION app.touch_row();

CREATE TABLE hooks.events (
    event_id     uuid        NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    vendor_id    uuid        NOT NULL REFERENCES core.vendors (id) ON DELETE CASCADE,
    event_type   text        NOT NULL CHECK (event_type IN ('job.completed', 'job.failed', 'product.updated', 'customer.updated')),
    occurred_at  timestamptz NOT NULL DEFAULT now(),
    data         jsonb       NOT NULL CHECK (jsonb_typeof(data) = 'object'),
    published_at timestamptz
);
COMMENT ON TABLE hooks.events IS
  'Outbox of vendor events (payload: vendor_id, event_id, event_type, occurred_at, data), written in the transaction that caused them; published_at is set when fanned out to webhook deliveries.';
CREATE INDEX events_vendor_occurred_idx ON hooks.events (vendor_id, occurred_at DESC, event_id);
CREATE INDEX events_unpublished_idx ON hooks.events (occurred_at) WHERE published_at IS NULL;

COMMIT;
