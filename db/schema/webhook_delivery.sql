-- Deploy odyssey:schema/webhook_delivery to pg
-- requires: schema/webhooks
-- requires: schema/ingest_pipeline
-- requires: schema/queue
-- requires: functions/tenant_rls
-- What webhook delivery (PRD §5.9, §6.5, §11.5; functions/webhooks) keeps:
--   hooks.webhook_secrets   an endpoint's signing secret, readable by no role but the owner: the
--                           signature is computed in SQL (pgcrypto's hmac), so the secret never
--                           leaves the database after it was shown once at creation or rotation;
--   webhook_endpoints       + event_types (which events the endpoint receives);
--   webhook_deliveries      + response_status, delivered_at, and the page index of an endpoint;
--   events.published_at     defaults to now(): an event is fanned out by the statement writing it;
--   queue kind webhook.deliver: one queue job per delivery; the queue's backoff with jitter gives
--                           the retries, its dead letters the DLQ (attempts = retries_max + 1).
BEGIN;

CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;

CREATE TABLE hooks.webhook_secrets (
    endpoint_id  uuid        NOT NULL PRIMARY KEY REFERENCES hooks.webhook_endpoints (id) ON DELETE CASCADE,
    vendor_id    uuid        NOT NULL,
    secret       text        NOT NULL CHECK (length(secret) >= 32),
    created_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE hooks.webhook_secrets IS
  'Signing secrets of webhook endpoints (webhook_endpoints.secret_ref = ''hooks.webhook_secrets:<endpoint id>''). No role but the owner may read it: deliveries are signed in SQL.';
CREATE INDEX webhook_secrets_vendor_idx ON hooks.webhook_secrets (vendor_id);
SELECT app.enable_tenant_rls('hooks.webhook_secrets');
REVOKE ALL ON hooks.webhook_secrets FROM PUBLIC;

ALTER TABLE hooks.webhook_endpoints
    ADD COLUMN event_types text[] NOT NULL
        DEFAULT ARRAY['job.completed', 'job.failed', 'product.updated', 'customer.updated']
        CHECK (cardinality(event_types) >= 1
               AND event_types <@ ARRAY['job.completed', 'job.failed', 'product.updated', 'customer.updated']);
COMMENT ON COLUMN hooks.webhook_endpoints.event_types IS 'The event types this endpoint receives.';

ALTER TABLE hooks.webhook_deliveries
    ADD COLUMN response_status integer,
    ADD COLUMN delivered_at    timestamptz;
COMMENT ON COLUMN hooks.webhook_deliveries.timestamp IS 'X-Timestamp of the latest attempt (the signature covers it).';
CREATE INDEX webhook_deliveries_endpoint_idx ON hooks.webhook_deliveries (vendor_id, endpoint_id, created_at DESC, id DESC);

-- Events are fanned out in the statement that writes them (functions/webhooks): published then.
ALTER TABLE hooks.events ALTER COLUMN published_at SET DEFAULT now();

INSERT INTO queue.kinds (kind, max_running_per_vendor, max_attempts, backoff_base, backoff_cap, description) VALUES
    ('webhook.deliver', 4, 9, '5 seconds', '1 hour',
     'POST one webhook delivery to its endpoint, signed: payload {"delivery_id": uuid}; attempts = the endpoint''s retries_max + 1');

COMMIT;
