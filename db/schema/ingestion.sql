-- Deploy odyssey:schema/ingestion to pg
-- requires: schema/core
-- Ingestion (PRD §4.2, §5.4, §5.5, §6.2): header and value dictionaries, per-vendor header maps,
-- jobs and their per-row errors, UNLOGGED staging, raw API pages, connectors and their cursors.
BEGIN;

CREATE TYPE ingest.mapping_mode AS ENUM ('products', 'customers');
CREATE TYPE ingest.value_domain AS ENUM ('allergen', 'condition', 'unit', 'diet', 'gender', 'activity');
CREATE TYPE ingest.job_mode AS ENUM ('products', 'customers', 'api_sync');
CREATE TYPE ingest.job_status AS ENUM ('queued', 'running', 'failed', 'completed', 'canceled');
CREATE TYPE ingest.source_kind AS ENUM ('csv', 'api');
CREATE TYPE ingest.auth_type AS ENUM ('none', 'api_key', 'bearer', 'basic', 'oauth2');

-- Header auto-map. Headers are compared after ingest.normalize_header(): lower case, runs of
-- anything but letters and digits become one '_', trimmed. One row per (mode, canonical, ops):
-- e.g. energy_kcal <- energy-kcal_100g (no op) and energy_kcal <- energy-kj_100g (kj_to_kcal).
CREATE TABLE ingest.synonyms_header (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mode           ingest.mapping_mode NOT NULL,
    canonical      text        NOT NULL CHECK (canonical ~ '^[a-z][a-z0-9_]*$'),
    synonyms       text[]      NOT NULL CHECK (cardinality(synonyms) > 0),
    transform_ops  jsonb       NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(transform_ops) = 'array'),
    confidence     numeric(3,2) NOT NULL DEFAULT 1.0 CHECK (confidence > 0 AND confidence <= 1),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT synonyms_header_mode_canonical_ops_key UNIQUE (mode, canonical, transform_ops)
);
CREATE INDEX synonyms_header_synonyms_gin ON ingest.synonyms_header USING gin (synonyms);

CREATE TABLE ingest.synonyms_value (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    domain      ingest.value_domain NOT NULL,
    canonical   text        NOT NULL CHECK (canonical ~ '^[a-z0-9]+([_-][a-z0-9]+)*$'),
    synonyms    text[]      NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT synonyms_value_domain_canonical_key UNIQUE (domain, canonical)
);
COMMENT ON TABLE ingest.synonyms_value IS 'Value normalization: label words (lower case) to canonical codes per domain.';
CREATE INDEX synonyms_value_synonyms_gin ON ingest.synonyms_value USING gin (synonyms);

CREATE TABLE ingest.vendor_mappings (
    id          uuid        NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    vendor_id   uuid        NOT NULL REFERENCES core.vendors (id) ON DELETE CASCADE,
    mode        ingest.mapping_mode NOT NULL,
    map         jsonb       NOT NULL CHECK (jsonb_typeof(map) = 'object'),
    version     integer     NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT vendor_mappings_vendor_mode_version_key UNIQUE (vendor_id, mode, version)
);
COMMENT ON COLUMN ingest.vendor_mappings.map IS 'header -> {"field": canonical, "ops": [transform ops]}; the highest version of (vendor, mode) applies.';

CREATE TABLE ingest.ingestion_jobs (
    id            uuid        NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    vendor_id     uuid        NOT NULL REFERENCES core.vendors (id) ON DELETE CASCADE,
    mode          ingest.job_mode NOT NULL,
    status        ingest.job_status NOT NULL DEFAULT 'queued',
    progress_pct  numeric(5,2) NOT NULL DEFAULT 0 CHECK (progress_pct BETWEEN 0 AND 100),
    totals        jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(totals) = 'object'),
    error_url     text,
    started_at    timestamptz,
    finished_at   timestamptz CHECK (finished_at >= started_at),
    attempt       integer     NOT NULL DEFAULT 0 CHECK (attempt >= 0),
    params        jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(params) = 'object'),
    created_by    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ingestion_jobs_vendor_created_idx ON ingest.ingestion_jobs (vendor_id, created_at DESC, id);

CREATE TABLE ingest.ingestion_job_errors (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    vendor_id   uuid        NOT NULL,
    job_id      uuid        NOT NULL REFERENCES ingest.ingestion_jobs (id) ON DELETE CASCADE,
    row_no      bigint      CHECK (row_no >= 0),
    field       text,
    code        text        NOT NULL CHECK (code ~ '^[a-z][a-z0-9_]*$'),
    message     text        NOT NULL,
    raw         jsonb,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ingestion_job_errors_vendor_job_idx ON ingest.ingestion_job_errors (vendor_id, job_id, row_no);

-- Staging: UNLOGGED (no WAL), one thin index, purged after each merge. Every canonical field as
-- text (typed and validated in SQL), plus the raw record for error reports.
CREATE UNLOGGED TABLE ingest.stg_products (
    vendor_id uuid NOT NULL, job_id uuid NOT NULL, row_no bigint NOT NULL, raw text[],
    external_id text, barcode text, gtin_type text, name text, brand text, description text,
    category text, sub_category text, cuisine text, market text, price text, currency text,
    status text, ingredients text, serving_size text, package_weight text,
    energy_kcal text, protein_g text, fat_g text, saturated_fat_g text, trans_fat_g text,
    carbohydrates_g text, sugars_g text, added_sugars_g text, fiber_g text, sodium_mg text,
    cholesterol_mg text, potassium_mg text, calcium_mg text, iron_mg text,
    dietary_tags text, allergens text, certifications text, regulatory_codes text,
    source_url text, image_url text
);
CREATE INDEX stg_products_job_row_idx ON ingest.stg_products (vendor_id, job_id, row_no);

CREATE UNLOGGED TABLE ingest.stg_customers (
    vendor_id uuid NOT NULL, job_id uuid NOT NULL, row_no bigint NOT NULL, raw text[],
    external_id text, full_name text, email text, dob text, age text, gender text, location text,
    phone text, custom_tags text,
    height_cm text, weight_kg text, activity_level text, conditions text, diet_goals text,
    macro_targets text, avoid_allergens text
);
CREATE INDEX stg_customers_job_row_idx ON ingest.stg_customers (vendor_id, job_id, row_no);

CREATE TABLE ingest.stg_vendor_raw (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    vendor_id   uuid        NOT NULL REFERENCES core.vendors (id) ON DELETE CASCADE,
    source      text        NOT NULL,
    page_id     text        NOT NULL,
    payload     jsonb       NOT NULL,
    fetched_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE ingest.stg_vendor_raw IS 'Raw connector pages; retention 30 days.';
CREATE INDEX stg_vendor_raw_vendor_source_idx ON ingest.stg_vendor_raw (vendor_id, source, fetched_at);

CREATE TABLE ingest.connectors (
    id              uuid        NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    vendor_id       uuid        NOT NULL REFERENCES core.vendors (id) ON DELETE CASCADE,
    source          text        NOT NULL CHECK (source ~ '^[a-z0-9]+([_-][a-z0-9]+)*$'),
    base_url        text        NOT NULL CHECK (base_url ~ '^https?://[^\s]+$'),
    auth_type       ingest.auth_type NOT NULL DEFAULT 'none',
    rate_limit_rpm  integer     NOT NULL DEFAULT 60 CHECK (rate_limit_rpm BETWEEN 1 AND 100000),
    secrets_ref     text,
    enabled         boolean     NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT connectors_vendor_source_key UNIQUE (vendor_id, source)
);
COMMENT ON COLUMN ingest.connectors.secrets_ref IS 'Reference to a vault secret; never the secret itself.';

CREATE TABLE ingest.connector_cursors (
    id          uuid        NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    vendor_id   uuid        NOT NULL REFERENCES core.vendors (id) ON DELETE CASCADE,
    source      text        NOT NULL,
    cursor      text,
    synced_at   timestamptz,
    status      text        NOT NULL DEFAULT 'idle' CHECK (status IN ('idle', 'running', 'ok', 'error')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT connector_cursors_vendor_source_key UNIQUE (vendor_id, source)
);

CREATE TRIGGER synonyms_header_touch BEFORE UPDATE ON ingest.synonyms_header FOR EACH ROW EXECUTE FUNCTION app.touch_row();
CREATE TRIGGER synonyms_value_touch BEFORE UPDATE ON ingest.synonyms_value FOR EACH ROW EXECUTE FUNCTION app.touch_row();
CREATE TRIGGER vendor_mappings_touch BEFORE UPDATE ON ingest.vendor_mappings FOR EACH ROW EXECUTE FUNCTION app.touch_row();
CREATE TRIGGER ingestion_jobs_touch BEFORE UPDATE ON ingest.ingestion_jobs FOR EACH ROW EXECUTE FUNCTION app.touch_row();
CREATE TRIGGER connectors_touch BEFORE UPDATE ON ingest.connectors FOR EACH ROW EXECUTE FUNCTION app.touch_row();
CREATE TRIGGER connector_cursors_touch BEFORE UPDATE ON ingest.connector_cursors FOR EACH ROW EXECUTE FUNCTION app.touch_row();

COMMIT;
