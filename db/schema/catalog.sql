-- Deploy odyssey:schema/catalog to pg
-- requires: schema/taxonomy
-- requires: schema/ingestion
-- requires: functions/catalog_checks
-- requires: functions/catalog_triggers
-- Products (PRD §4.2, Appendix A §11.1): LIST(vendor_id) -> HASH(id) x16, and their satellites
-- (barcodes, images, sources), LIST(vendor_id).
--
-- Uniqueness on a sub-partitioned table (notes.md): every unique index must contain vendor_id AND
-- id, so UNIQUE (vendor_id, external_id) cannot be declared. Instead the id IS a function of
-- (vendor_id, external_id) -- UUID v5 in the vendor's namespace, pinned by a CHECK -- so
-- PRIMARY KEY (vendor_id, id) enforces "one product per external_id per vendor" and an upsert keyed
-- on external_id is INSERT ... ON CONFLICT (vendor_id, id). Barcodes are unique through
-- catalog.product_barcodes, keyed (vendor_id, barcode), kept by trigger.
BEGIN;

CREATE TYPE catalog.product_status AS ENUM ('active', 'inactive');
CREATE TYPE catalog.gtin_type AS ENUM ('upc_a', 'upc_e', 'ean_8', 'ean_13', 'gtin_14', 'isbn');

CREATE TABLE catalog.products (
    id               uuid        NOT NULL,
    vendor_id        uuid        NOT NULL,
    external_id      text        NOT NULL CHECK (length(external_id) BETWEEN 1 AND 255 AND external_id = btrim(external_id)),
    barcode          text        CHECK (barcode ~ '^[0-9]{8,14}$'),
    gtin_type        catalog.gtin_type,
    name             text        NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 500),
    brand            text        NOT NULL CHECK (length(brand) <= 200),
    description      text        NOT NULL CHECK (length(description) <= 20000),
    category_id      bigint      NOT NULL REFERENCES catalog.tax_categories (id),
    sub_category_id  bigint      REFERENCES catalog.tax_categories (id),
    cuisine_id       bigint      REFERENCES catalog.tax_cuisines (id),
    market_id        bigint      REFERENCES catalog.markets (id),
    price            numeric(12,2) NOT NULL CHECK (price >= 0),
    currency         char(3)     NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
    status           catalog.product_status NOT NULL DEFAULT 'active',
    ingredients      text        CHECK (length(ingredients) <= 20000),
    nutrition        jsonb       CHECK (catalog.nutrition_is_valid(nutrition)),
    serving_size     text        CHECK (catalog.is_quantity(serving_size)),
    package_weight   text        CHECK (catalog.is_quantity(package_weight)),
    dietary_tags     text[]      NOT NULL DEFAULT '{}',
    allergens        text[]      NOT NULL DEFAULT '{}',
    certifications   text[]      NOT NULL DEFAULT '{}',
    regulatory_codes text[]      NOT NULL DEFAULT '{}',
    source_url       text        CHECK (source_url ~ '^https?://[^\s]+$'),
    search_tsv       tsvector    NOT NULL DEFAULT ''::tsvector,
    version          integer     NOT NULL DEFAULT 1 CHECK (version >= 1),
    soft_deleted_at  timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT products_id_from_external_id CHECK (id = public.uuid_generate_v5(vendor_id, external_id)),
    CONSTRAINT products_barcode_needs_type CHECK (gtin_type IS NULL OR barcode IS NOT NULL),
    CONSTRAINT products_sub_category_differs CHECK (sub_category_id IS DISTINCT FROM category_id),
    CONSTRAINT products_pkey PRIMARY KEY (vendor_id, id)
) PARTITION BY LIST (vendor_id);
COMMENT ON TABLE catalog.products IS 'Vendor catalogs. id = uuid_generate_v5(vendor_id, external_id): see catalog.product_id().';
COMMENT ON COLUMN catalog.products.nutrition IS 'Per serving; keys from catalog.nutrient_keys() (unit in the key).';

CREATE INDEX products_search_tsv_gin ON catalog.products USING gin (search_tsv);
CREATE INDEX products_dietary_tags_gin ON catalog.products USING gin (dietary_tags);
CREATE INDEX products_allergens_gin ON catalog.products USING gin (allergens);
CREATE INDEX products_updated_idx ON catalog.products (vendor_id, updated_at DESC, id DESC);
CREATE INDEX products_category_idx ON catalog.products (vendor_id, category_id);
CREATE INDEX products_external_id_idx ON catalog.products (vendor_id, external_id);

CREATE OR REPLACE FUNCTION catalog.product_id(p_vendor_id uuid, p_external_id text)
RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT public.uuid_generate_v5(p_vendor_id, p_external_id) $$;
COMMENT ON FUNCTION catalog.product_id(uuid, text) IS 'The id of a vendor''s product with this external_id (UUID v5 in the vendor''s namespace).';

CREATE TABLE catalog.product_barcodes (
    vendor_id   uuid NOT NULL,
    barcode     text NOT NULL,
    product_id  uuid NOT NULL,
    CONSTRAINT product_barcodes_pkey PRIMARY KEY (vendor_id, barcode)
) PARTITION BY LIST (vendor_id);
COMMENT ON TABLE catalog.product_barcodes IS 'Enforces UQ(vendor_id, barcode) of products across hash leaves; kept by catalog.product_barcode_sync().';
CREATE INDEX product_barcodes_product_idx ON catalog.product_barcodes (vendor_id, product_id);

CREATE TABLE catalog.product_images (
    id          uuid        NOT NULL DEFAULT gen_random_uuid(),
    vendor_id   uuid        NOT NULL,
    product_id  uuid        NOT NULL,
    url         text        NOT NULL CHECK (url ~ '^https?://[^\s]+$'),
    alt         text        CHECK (length(alt) <= 500),
    sort_order  integer     NOT NULL DEFAULT 0 CHECK (sort_order >= 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT product_images_pkey PRIMARY KEY (vendor_id, id)
) PARTITION BY LIST (vendor_id);
COMMENT ON COLUMN catalog.product_images.sort_order IS 'The PRD''s "order" (a reserved word).';
CREATE INDEX product_images_product_idx ON catalog.product_images (vendor_id, product_id, sort_order);

CREATE TABLE catalog.product_sources (
    id                uuid        NOT NULL DEFAULT gen_random_uuid(),
    vendor_id         uuid        NOT NULL,
    product_id        uuid        NOT NULL,
    source            ingest.source_kind NOT NULL,
    source_ref        text,
    ingestion_job_id  uuid        REFERENCES ingest.ingestion_jobs (id) ON DELETE SET NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT product_sources_pkey PRIMARY KEY (vendor_id, id)
) PARTITION BY LIST (vendor_id);
CREATE INDEX product_sources_product_idx ON catalog.product_sources (vendor_id, product_id);
CREATE INDEX product_sources_job_idx ON catalog.product_sources (ingestion_job_id) WHERE ingestion_job_id IS NOT NULL;

CREATE TRIGGER products_before_write BEFORE INSERT OR UPDATE ON catalog.products
    FOR EACH ROW EXECUTE FUNCTION catalog.products_before_write();
CREATE TRIGGER products_barcode_insert AFTER INSERT ON catalog.products
    FOR EACH ROW WHEN (NEW.barcode IS NOT NULL) EXECUTE FUNCTION catalog.product_barcode_sync();
CREATE TRIGGER products_barcode_update AFTER UPDATE OF barcode ON catalog.products
    FOR EACH ROW WHEN (OLD.barcode IS DISTINCT FROM NEW.barcode) EXECUTE FUNCTION catalog.product_barcode_sync();
CREATE TRIGGER products_catalog_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON catalog.products
    FOR EACH STATEMENT EXECUTE FUNCTION catalog.bump_catalog_version();
CREATE TRIGGER product_images_touch BEFORE UPDATE ON catalog.product_images FOR EACH ROW EXECUTE FUNCTION app.touch_row();
CREATE TRIGGER product_sources_touch BEFORE UPDATE ON catalog.product_sources FOR EACH ROW EXECUTE FUNCTION app.touch_row();
CREATE TRIGGER product_images_catalog_version AFTER INSERT OR UPDATE OR DELETE ON catalog.product_images
    FOR EACH STATEMENT EXECUTE FUNCTION catalog.bump_catalog_version();

SELECT app.register_vendor_partitioned('catalog.products', 10, 'id', 16);
SELECT app.register_vendor_partitioned('catalog.product_barcodes', 11);
SELECT app.register_vendor_partitioned('catalog.product_images', 12);
SELECT app.register_vendor_partitioned('catalog.product_sources', 13);
-- Per-vendor foreign keys (app.vendor_partition_foreign_keys), ON DELETE CASCADE.
SELECT app.register_vendor_foreign_key('catalog.product_barcodes', '{vendor_id,product_id}', 'catalog.products', '{vendor_id,id}');
SELECT app.register_vendor_foreign_key('catalog.product_images', '{vendor_id,product_id}', 'catalog.products', '{vendor_id,id}');
SELECT app.register_vendor_foreign_key('catalog.product_sources', '{vendor_id,product_id}', 'catalog.products', '{vendor_id,id}');

COMMIT;
