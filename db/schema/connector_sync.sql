-- Deploy odyssey:schema/connector_sync to pg
-- requires: schema/ingestion
-- requires: schema/ingest_pipeline
-- requires: schema/queue
-- requires: functions/tenant_rls
-- What connector syncs (PRD §4.2 connectors / connector_cursors / stg_vendor_raw, §5.5, §6.3;
-- functions/connector_sync, functions/api_connectors) keep:
--   connectors          + mode (what the vendor's API returns: products or customers), paging (how
--                       its pages are asked for and read), auth_header (api_key), token_url
--                       (oauth2 client credentials), last_test (the outcome of the latest test);
--   connector_secrets   the connector's credential, readable by no role but the owner: the worker
--                       receives it through ingest.connector_secret for the call it makes, no
--                       API ever answers it (connectors.secrets_ref names it);
--   stg_vendor_raw      + job_id, page_no, request_cursor: each fetched page, as received, kept
--                       30 days (and the source a sync is re-staged from after a database crash);
--   connector_cursors   + job_id, last_error: the incremental watermark and the last sync's end;
--   queue kinds         ingest.api (one sync job) and connector.test (one test call).
BEGIN;

ALTER TABLE ingest.connectors
    ADD COLUMN mode        ingest.mapping_mode NOT NULL DEFAULT 'products',
    ADD COLUMN paging      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(paging) = 'object'),
    ADD COLUMN auth_header text CHECK (auth_header ~ '^[A-Za-z][A-Za-z0-9-]{0,63}$'),
    ADD COLUMN token_url   text CHECK (token_url ~ '^https?://[^\s]+$'),
    ADD COLUMN last_test   jsonb CHECK (jsonb_typeof(last_test) = 'object');
COMMENT ON COLUMN ingest.connectors.mode IS 'What the vendor''s API returns: products or customers (merged like a CSV file of that mode).';
COMMENT ON COLUMN ingest.connectors.paging IS
  'How pages are asked for and read (functions/connector_sync: ingest.connector_paging fills the defaults).';
COMMENT ON COLUMN ingest.connectors.auth_header IS 'The header that carries the key when auth_type = api_key (default X-Api-Key).';
COMMENT ON COLUMN ingest.connectors.token_url IS 'The OAuth 2.0 token endpoint (client credentials grant) when auth_type = oauth2.';
COMMENT ON COLUMN ingest.connectors.last_test IS 'The latest POST …/test: queued, then its outcome (HTTP status, items, column mapping, error).';

CREATE TABLE ingest.connector_secrets (
    connector_id uuid        NOT NULL PRIMARY KEY REFERENCES ingest.connectors (id) ON DELETE CASCADE,
    vendor_id    uuid        NOT NULL,
    secret       text        NOT NULL CHECK (length(secret) BETWEEN 1 AND 4096),
    created_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE ingest.connector_secrets IS
  'Credentials of connectors (connectors.secrets_ref = ''ingest.connector_secrets:<connector id>''). No role but the owner reads it; the worker gets one through ingest.connector_secret.';
CREATE INDEX connector_secrets_vendor_idx ON ingest.connector_secrets (vendor_id);
SELECT app.enable_tenant_rls('ingest.connector_secrets');
REVOKE ALL ON ingest.connector_secrets FROM PUBLIC;

ALTER TABLE ingest.stg_vendor_raw
    ADD COLUMN job_id         uuid REFERENCES ingest.ingestion_jobs (id) ON DELETE CASCADE,
    ADD COLUMN page_no        integer CHECK (page_no >= 1),
    ADD COLUMN request_cursor text;
CREATE UNIQUE INDEX stg_vendor_raw_job_page_key ON ingest.stg_vendor_raw (vendor_id, job_id, page_no);
CREATE INDEX stg_vendor_raw_fetched_idx ON ingest.stg_vendor_raw (fetched_at);
COMMENT ON COLUMN ingest.stg_vendor_raw.request_cursor IS 'The cursor the page was asked for with (NULL: the first page).';

ALTER TABLE ingest.connector_cursors
    ADD COLUMN job_id     uuid,
    ADD COLUMN last_error text;
COMMENT ON COLUMN ingest.connector_cursors.cursor IS
  'The incremental watermark: when the last completed sync began fetching (sent as paging.since_param by the next sync).';
COMMENT ON COLUMN ingest.connector_cursors.status IS 'running while a sync runs; ok or error after it ended; idle before the first.';

INSERT INTO queue.kinds (kind, max_running_per_vendor, max_attempts, backoff_base, backoff_cap, description) VALUES
    ('ingest.api', 2, 5, '10 seconds', '15 minutes',
     'A connector sync of one ingest.ingestion_jobs row: payload {"job_id": uuid}; pages fetched, staged and merged'),
    ('connector.test', 2, 1, '1 second', '1 second',
     'One test call of a connector: payload {"connector_id": uuid, "test_id": uuid}; the outcome goes to connectors.last_test');

COMMIT;
