-- Deploy odyssey:schema/customers to pg
-- requires: schema/catalog
-- Customers (PRD §4.2, Appendix A §11.2): LIST(vendor_id) -> HASH(id) x32, and what grows with
-- them: consents and white/blacklists, LIST(vendor_id). Same uniqueness design as products: the id
-- is UUID v5 of (vendor_id, external_id), so PRIMARY KEY (vendor_id, id) is UQ(vendor_id, external_id).
BEGIN;

CREATE TYPE crm.gender AS ENUM ('male', 'female', 'other', 'unspecified');

CREATE TABLE crm.customers (
    id               uuid        NOT NULL,
    vendor_id        uuid        NOT NULL,
    external_id      text        NOT NULL CHECK (length(external_id) BETWEEN 1 AND 255 AND external_id = btrim(external_id)),
    full_name        text        NOT NULL CHECK (length(btrim(full_name)) BETWEEN 1 AND 300),
    email            text        NOT NULL CHECK (email ~* '^[^@\s]+@[^@\s]+\.[^@\s]+$' AND length(email) <= 320),
    dob              date        CHECK (dob >= DATE '1900-01-01'),
    age              integer     CHECK (age BETWEEN 0 AND 130),
    gender           crm.gender  NOT NULL DEFAULT 'unspecified',
    location         jsonb       NOT NULL CHECK (jsonb_typeof(location) = 'object'),
    phone            text        CHECK (phone ~ '^\+?[0-9][0-9 ().-]{5,24}$'),
    custom_tags      text[]      NOT NULL DEFAULT '{}',
    search_tsv       tsvector    NOT NULL DEFAULT ''::tsvector,
    created_by       text,
    updated_by       text,
    version          integer     NOT NULL DEFAULT 1 CHECK (version >= 1),
    soft_deleted_at  timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT customers_dob_or_age CHECK (dob IS NOT NULL OR age IS NOT NULL),
    CONSTRAINT customers_id_from_external_id CHECK (id = public.uuid_generate_v5(vendor_id, external_id)),
    CONSTRAINT customers_pkey PRIMARY KEY (vendor_id, id)
) PARTITION BY LIST (vendor_id);
COMMENT ON TABLE crm.customers IS 'A vendor''s customers. id = uuid_generate_v5(vendor_id, external_id): see crm.customer_id().';

CREATE INDEX customers_search_tsv_gin ON crm.customers USING gin (search_tsv);
CREATE INDEX customers_updated_idx ON crm.customers (vendor_id, updated_at DESC, id DESC);
CREATE INDEX customers_external_id_idx ON crm.customers (vendor_id, external_id);
CREATE INDEX customers_email_idx ON crm.customers (vendor_id, lower(email));

CREATE OR REPLACE FUNCTION crm.customer_id(p_vendor_id uuid, p_external_id text)
RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT public.uuid_generate_v5(p_vendor_id, p_external_id) $$;
COMMENT ON FUNCTION crm.customer_id(uuid, text) IS 'The id of a vendor''s customer with this external_id (UUID v5 in the vendor''s namespace).';

CREATE TABLE crm.customer_consents (
    id            uuid        NOT NULL DEFAULT gen_random_uuid(),
    vendor_id     uuid        NOT NULL,
    customer_id   uuid        NOT NULL,
    consent_type  text        NOT NULL CHECK (consent_type ~ '^[a-z][a-z0-9_]*$'),
    granted       boolean     NOT NULL,
    version       text        NOT NULL CHECK (length(version) BETWEEN 1 AND 50),
    timestamp     timestamptz NOT NULL DEFAULT now(),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT customer_consents_pkey PRIMARY KEY (vendor_id, id)
) PARTITION BY LIST (vendor_id);
COMMENT ON TABLE crm.customer_consents IS 'Consent events (append-style): the latest row per (customer, consent_type) is in force.';
CREATE INDEX customer_consents_customer_idx ON crm.customer_consents (vendor_id, customer_id, consent_type, timestamp DESC);

CREATE TABLE crm.customer_whitelists (
    id           uuid        NOT NULL DEFAULT gen_random_uuid(),
    vendor_id    uuid        NOT NULL,
    customer_id  uuid        NOT NULL,
    product_id   uuid        NOT NULL,
    note         text        CHECK (length(note) <= 1000),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT customer_whitelists_pkey PRIMARY KEY (vendor_id, id),
    CONSTRAINT customer_whitelists_customer_product_key UNIQUE (vendor_id, customer_id, product_id)
) PARTITION BY LIST (vendor_id);
CREATE INDEX customer_whitelists_product_idx ON crm.customer_whitelists (vendor_id, product_id);

CREATE TABLE crm.customer_blacklists (
    id           uuid        NOT NULL DEFAULT gen_random_uuid(),
    vendor_id    uuid        NOT NULL,
    customer_id  uuid        NOT NULL,
    product_id   uuid        NOT NULL,
    note         text        CHECK (length(note) <= 1000),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT customer_blacklists_pkey PRIMARY KEY (vendor_id, id),
    CONSTRAINT customer_blacklists_customer_product_key UNIQUE (vendor_id, customer_id, product_id)
) PARTITION BY LIST (vendor_id);
CREATE INDEX customer_blacklists_product_idx ON crm.customer_blacklists (vendor_id, product_id);

CREATE TRIGGER customers_before_write BEFORE INSERT OR UPDATE ON crm.customers
    FOR EACH ROW EXECUTE FUNCTION crm.customers_before_write();
CREATE TRIGGER customer_consents_touch BEFORE UPDATE ON crm.customer_consents FOR EACH ROW EXECUTE FUNCTION app.touch_row();
CREATE TRIGGER customer_whitelists_touch BEFORE UPDATE ON crm.customer_whitelists FOR EACH ROW EXECUTE FUNCTION app.touch_row();
CREATE TRIGGER customer_blacklists_touch BEFORE UPDATE ON crm.customer_blacklists FOR EACH ROW EXECUTE FUNCTION app.touch_row();

SELECT app.register_vendor_partitioned('crm.customers', 20, 'id', 32);
SELECT app.register_vendor_partitioned('crm.customer_consents', 21);
SELECT app.register_vendor_partitioned('crm.customer_whitelists', 22);
SELECT app.register_vendor_partitioned('crm.customer_blacklists', 23);
-- Per-vendor foreign keys (app.vendor_partition_foreign_keys), ON DELETE CASCADE.
SELECT app.register_vendor_foreign_key('crm.customer_consents', '{vendor_id,customer_id}', 'crm.customers', '{vendor_id,id}');
SELECT app.register_vendor_foreign_key('crm.customer_whitelists', '{vendor_id,customer_id}', 'crm.customers', '{vendor_id,id}');
SELECT app.register_vendor_foreign_key('crm.customer_whitelists', '{vendor_id,product_id}', 'catalog.products', '{vendor_id,id}');
SELECT app.register_vendor_foreign_key('crm.customer_blacklists', '{vendor_id,customer_id}', 'crm.customers', '{vendor_id,id}');
SELECT app.register_vendor_foreign_key('crm.customer_blacklists', '{vendor_id,product_id}', 'catalog.products', '{vendor_id,id}');

COMMIT;
