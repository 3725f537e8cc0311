-- Deploy odyssey:schema/webhooks to pg
-- requires: schema/core
-- Webhooks (PRD §4.2, §5.9, §11.5): endpoints per vendor and deliveries (at-least-once, retried,
-- signed). X-Idempotency-Key of a delivery is its event_id, the same on every retry.
BEGIN;

CREATE TYPE hooks.delivery_status AS ENUM ('pending', 'delivered', 'failed', 'dead');

CREATE TABLE hooks.webhook_endpoints (
    id             uuid        NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    vendor_id      uuid        NOT NULL REFERENCES core.vendors (id) ON DELETE CASCADE,
    url            text        NOT NULL CHECK (url ~ '^https?://[^\s]+$'),
    secret_ref     text        NOT NULL,
    enabled        boolean     NOT NULL DEFAULT true,
    description    text        CHECK (length(description) <= 500),
    retries_max    integer     NOT NULL DEFAULT 8 CHECK (retries_max BETWEEN 0 AND 50),
    tolerance_sec  integer     NOT NULL DEFAULT 300 CHECK (tolerance_sec BETWEEN 1 AND 3600),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
COMMENT ON COLUMN hooks.webhook_endpoints.secret_ref IS 'Reference to a vault secret; never the secret itself.';
CREATE INDEX webhook_endpoints_vendor_idx ON hooks.webhook_endpoints (vendor_id);

CREATE TABLE hooks.webhook_deliveries (
    id           uuid        NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    vendor_id    uuid        NOT NULL,
    endpoint_id  uuid        NOT NULL REFERENCES hooks.webhook_endpoints (id) ON DELETE CASCADE,
    event_id     uuid        NOT NULL,
    event_type   text        NOT NULL CHECK (event_type IN ('job.completed', 'job.failed', 'product.updated', 'customer.updated')),
    payload      jsonb       NOT NULL,
    status       hooks.delivery_status NOT NULL DEFAULT 'pending',
    attempt      integer     NOT NULL DEFAULT 0 CHECK (attempt >= 0),
    last_error   text,
    signature    text,
    timestamp    timestamptz NOT NULL DEFAULT now(),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT webhook_deliveries_endpoint_event_key UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_vendor_idx ON hooks.webhook_deliveries (vendor_id, created_at DESC);

CREATE TRIGGER webhook_endpoints_touch BEFORE UPDATE ON hooks.webhook_endpoints FOR EACH ROW EXECUTE FUNCTION app.touch_row();
CREATE TRIGGER webhook_deliveries_touch BEFORE UPDATE ON hooks.webhook_deliveries FOR EACH ROW EXECUTE FUNCTION app.touch_row();

COMMIT;
