-- Deploy odyssey:schema/product_search_docs to pg
-- requires: schema/product_search_tiers
-- requires: functions/catalog_bulk_write
-- requires: functions/machinery_vendors
-- What product search reads (functions/search): one row per live (not soft-deleted) product with
-- the columns search filters on, orders by and returns, in ONE partition per vendor.
-- Why a second table: catalog.products is HASH sub-partitioned x16 per vendor (PRD 4.1), so every
-- search query was planned and run over 16 leaves -- 16 GIN scans, 16-way merges of keyset walks,
-- ~5 ms of planning per tier. Kept by AFTER statement triggers over the transition tables, so
-- every write path (API, CSV merge, connectors, soft delete, restore) keeps it in step, in the same
-- transaction. The search-only indexes of catalog.products move here (name_tsv GIN, brand and
-- category keyset indexes); catalog.products keeps its PRD indexes, GIN(search_tsv) included.
-- Cost: ~560 MB for a 500k-product vendor (heap and 5 indexes), and each product write also
-- writes its search row (CSV merge of 100k products: 56 -> 62 s in one run each).
BEGIN;

CREATE TABLE catalog.product_search (
    vendor_id    uuid                   NOT NULL,
    id           uuid                   NOT NULL,
    external_id  text                   NOT NULL,
    name         text                   NOT NULL,
    brand        text                   NOT NULL,
    category_id  bigint                 NOT NULL,
    price        numeric(12,2)          NOT NULL,
    currency     character(3)           NOT NULL,
    status       catalog.product_status NOT NULL,
    dietary_tags text[]                 NOT NULL,
    allergens    text[]                 NOT NULL,
    updated_at   timestamptz            NOT NULL,
    search_tsv   tsvector               NOT NULL,
    name_tsv     tsvector               NOT NULL
) PARTITION BY LIST (vendor_id);
COMMENT ON TABLE catalog.product_search IS
  'Product search rows: every product that is not soft-deleted, one partition per vendor (no hash leaves); kept by statement triggers on catalog.products.';

CREATE OR REPLACE FUNCTION catalog.product_search_sync()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM catalog.product_search s
         USING old_rows o
         WHERE s.vendor_id = o.vendor_id AND s.id = o.id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO catalog.product_search (vendor_id, id, external_id, name, brand, category_id, price, currency,
                                            status, dietary_tags, allergens, updated_at, search_tsv, name_tsv)
        SELECT n.vendor_id, n.id, n.external_id, n.name, n.brand, n.category_id, n.price, n.currency,
               n.status, n.dietary_tags, n.allergens, n.updated_at, n.search_tsv, n.name_tsv
          FROM new_rows n
         WHERE n.soft_deleted_at IS NULL;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION catalog.product_search_sync() IS
  'AFTER statement trigger on catalog.products (transition tables): keeps catalog.product_search (rows of products not soft-deleted).';

-- The triggers first: they lock catalog.products against writes until the backfill below commits.
CREATE TRIGGER products_search_insert AFTER INSERT ON catalog.products
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION catalog.product_search_sync();
CREATE TRIGGER products_search_update AFTER UPDATE ON catalog.products
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION catalog.product_search_sync();
CREATE TRIGGER products_search_delete AFTER DELETE ON catalog.products
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION catalog.product_search_sync();

SELECT app.register_vendor_partitioned('catalog.product_search', 15);
SELECT app.enable_tenant_rls('catalog.product_search');

-- Partitioned and filled vendor by vendor (FORCE RLS: the owner sees one tenant at a time; the
-- vendor list comes through app.machinery_vendor_ids), indexed afterwards.
DO $$
DECLARE
    v_vendor uuid;
BEGIN
    FOREACH v_vendor IN ARRAY app.machinery_vendor_ids(false) LOOP
        PERFORM app.create_vendor_partitions(v_vendor);
        PERFORM set_config('odyssey.vendor_id', v_vendor::text, true);
        INSERT INTO catalog.product_search (vendor_id, id, external_id, name, brand, category_id, price, currency,
                                            status, dietary_tags, allergens, updated_at, search_tsv, name_tsv)
        SELECT vendor_id, id, external_id, name, brand, category_id, price, currency,
               status, dietary_tags, allergens, updated_at, search_tsv, name_tsv
          FROM catalog.products
         WHERE vendor_id = v_vendor AND soft_deleted_at IS NULL;
    END LOOP;
    PERFORM set_config('odyssey.vendor_id', '', true);
END
$$;

ALTER TABLE catalog.product_search ADD CONSTRAINT product_search_pkey PRIMARY KEY (vendor_id, id);
CREATE INDEX product_search_tsv_gin ON catalog.product_search USING gin (search_tsv);
CREATE INDEX product_search_name_tsv_gin ON catalog.product_search USING gin (name_tsv);
CREATE INDEX product_search_updated_idx ON catalog.product_search (vendor_id, updated_at DESC, id DESC);
CREATE INDEX product_search_brand_updated_idx ON catalog.product_search (vendor_id, brand, updated_at DESC, id DESC);
CREATE INDEX product_search_category_updated_idx ON catalog.product_search (vendor_id, category_id, updated_at DESC, id DESC);

DROP INDEX catalog.products_name_tsv_gin;
DROP INDEX catalog.products_brand_updated_idx;
DROP INDEX catalog.products_category_updated_idx;

COMMIT;
