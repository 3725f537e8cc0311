-- Deploy odyssey:schema/idempotency to pg
-- requires: schema/core
-- Idempotency-Key store (PRD §4.2, IETF httpapi-idempotency-key): one row per (vendor, key),
-- written in the same transaction as the request's write, replayed for 24 h.
BEGIN;

CREATE TABLE ops.idempotency_keys (
    key            text        NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    vendor_id      uuid        NOT NULL REFERENCES core.vendors (id) ON DELETE CASCADE,
    user_id        text,
    method         text        NOT NULL CHECK (method IN ('POST', 'PUT', 'PATCH', 'DELETE')),
    path           text        NOT NULL,
    request_hash   text        NOT NULL,
    response_hash  text,
    status         integer     CHECK (status BETWEEN 100 AND 599),
    response_body  jsonb,
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL DEFAULT now() + interval '24 hours' CHECK (expires_at > created_at),
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (vendor_id, key)
);
COMMENT ON TABLE ops.idempotency_keys IS 'Keys are scoped per vendor: one tenant''s key never collides with or reveals another''s.';
CREATE INDEX idempotency_keys_expires_idx ON ops.idempotency_keys (expires_at);

COMMIT;
