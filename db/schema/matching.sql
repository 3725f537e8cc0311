-- Deploy odyssey:schema/matching to pg
-- requires: schema/health
-- Matching (PRD §4.2, §5.7): per-vendor scoring weights and the matches cache, keyed
-- (vendor_id, customer_id, catalog_version) with a TTL, LIST(vendor_id).
BEGIN;

CREATE TABLE matching.scoring_policies (
    id          uuid        NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    vendor_id   uuid        NOT NULL REFERENCES core.vendors (id) ON DELETE CASCADE,
    weights     jsonb       NOT NULL CHECK (jsonb_typeof(weights) = 'object'),
    active      boolean     NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON COLUMN matching.scoring_policies.weights IS 'e.g. {"preference_fit": 1.0, "budget_fit": 1.0, "recency": 0.1}';
CREATE UNIQUE INDEX scoring_policies_one_active ON matching.scoring_policies (vendor_id) WHERE active;
CREATE INDEX scoring_policies_vendor_idx ON matching.scoring_policies (vendor_id);

CREATE TABLE matching.matches_cache (
    vendor_id        uuid        NOT NULL,
    customer_id      uuid        NOT NULL,
    catalog_version  bigint      NOT NULL,
    results          jsonb       NOT NULL,
    ttl_at           timestamptz NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT matches_cache_pkey PRIMARY KEY (vendor_id, customer_id, catalog_version)
) PARTITION BY LIST (vendor_id);
CREATE INDEX matches_cache_ttl_idx ON matching.matches_cache (vendor_id, ttl_at);

CREATE TRIGGER scoring_policies_touch BEFORE UPDATE ON matching.scoring_policies FOR EACH ROW EXECUTE FUNCTION app.touch_row();

SELECT app.register_vendor_partitioned('matching.matches_cache', 40);
-- Per-vendor foreign keys (app.vendor_partition_foreign_keys), ON DELETE CASCADE.
SELECT app.register_vendor_foreign_key('matching.matches_cache', '{vendor_id,customer_id}', 'crm.customers', '{vendor_id,id}');

COMMIT;
