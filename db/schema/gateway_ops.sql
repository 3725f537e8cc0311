-- Deploy odyssey:schema/gateway_ops to pg
-- requires: schema/idempotency
-- Gateway machinery kept in PostgreSQL so that every gateway process shares it:
--   ops.rate_limit_counters   fixed one-minute windows per bucket (user, vendor, vendor ingest)
--   ops.request_metrics       one row per served request (latency, status), for real percentiles
--   ops.platform_idempotency_keys  Idempotency-Key store for platform (vendor-less) superadmin writes
-- Written and read only through definer-rights functions in api.
BEGIN;

CREATE TABLE ops.rate_limit_counters (
    bucket        text        NOT NULL,
    window_start  timestamptz NOT NULL,
    hits          integer     NOT NULL DEFAULT 1 CHECK (hits >= 0),
    CONSTRAINT rate_limit_counters_pkey PRIMARY KEY (bucket, window_start)
);
COMMENT ON TABLE ops.rate_limit_counters IS 'Fixed-window (60 s) request counters shared by all gateway processes; bucket = u:<user> | v:<vendor> | i:<vendor>.';

CREATE TABLE ops.request_metrics (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    vendor_id   uuid,
    route       text        NOT NULL,
    method      text        NOT NULL,
    status      integer     NOT NULL CHECK (status BETWEEN 100 AND 599),
    latency_ms  double precision NOT NULL CHECK (latency_ms >= 0)
);
COMMENT ON TABLE ops.request_metrics IS 'Per-request latency samples written by the gateway (api.record_requests); kept 7 days.';
CREATE INDEX request_metrics_vendor_at_idx ON ops.request_metrics (vendor_id, at);
CREATE INDEX request_metrics_at_idx ON ops.request_metrics (at);

CREATE TABLE ops.platform_idempotency_keys (
    key            text        NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    user_id        text        NOT NULL,
    method         text        NOT NULL CHECK (method IN ('POST', 'PUT', 'PATCH', 'DELETE')),
    path           text        NOT NULL,
    request_hash   text        NOT NULL,
    response_hash  text,
    status         integer     CHECK (status BETWEEN 100 AND 599),
    response_body  jsonb,
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL DEFAULT now() + interval '24 hours' CHECK (expires_at > created_at),
    CONSTRAINT platform_idempotency_keys_pkey PRIMARY KEY (user_id, key)
);
COMMENT ON TABLE ops.platform_idempotency_keys IS 'Idempotency keys of superadmin writes made outside any vendor (vendors, taxonomy, synonyms); scoped per user.';

-- Definer functions (owned by the owner, which obeys FORCE RLS on core.users) may create the
-- shadow user of a new member (and see whether it exists); nothing else is let through.
CREATE POLICY user_shadow_insert ON core.users FOR INSERT TO odyssey_owner WITH CHECK (true);
CREATE POLICY user_shadow_read ON core.users FOR SELECT TO odyssey_owner USING (true);

COMMIT;
