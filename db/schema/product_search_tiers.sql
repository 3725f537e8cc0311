-- Deploy odyssey:schema/product_search_tiers to pg
-- requires: schema/catalog
-- Exact, index-friendly relevance for product search (functions/search): a match on the product
-- name ranks above a match elsewhere (brand, short description); within a tier, newest first, then
-- id. Every tier is then a keyset scan in (updated_at DESC, id DESC) order -- either walking
-- products_updated_idx (common words: the first 20 matches come quickly) or a GIN bitmap and a
-- top-N sort (rare words) -- so no query ranks every match. name_tsv is the name alone.
-- (RUM, which orders by ts_rank-like distance inside the index, was measured and rejected: it cost
-- ~3.5 ms more per inserted product, beyond the 2M-rows-in-45-minutes ingest budget.)
BEGIN;

-- A plain column kept by a trigger (a generated column would not survive the detached-build-then-
-- ATTACH of app.create_vendor_partitions).
ALTER TABLE catalog.products ADD COLUMN name_tsv tsvector NOT NULL DEFAULT ''::tsvector;
COMMENT ON COLUMN catalog.products.name_tsv IS 'The name alone (english): the first relevance tier of search; kept by trigger.';

CREATE OR REPLACE FUNCTION catalog.products_name_tsv()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.name_tsv := pg_catalog.to_tsvector('english'::regconfig, NEW.name);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION catalog.products_name_tsv() IS 'BEFORE INSERT/UPDATE OF name on products: name_tsv.';
CREATE TRIGGER products_name_tsv BEFORE INSERT OR UPDATE OF name, name_tsv ON catalog.products
    FOR EACH ROW EXECUTE FUNCTION catalog.products_name_tsv();

DO $$
DECLARE
    v_vendor uuid;
BEGIN
    FOR v_vendor IN SELECT id FROM core.vendors WHERE status <> 'offboarded' LOOP
        PERFORM set_config('odyssey.vendor_id', v_vendor::text, true);
        UPDATE catalog.products SET name_tsv = to_tsvector('english'::regconfig, name) WHERE vendor_id = v_vendor;
    END LOOP;
    PERFORM set_config('odyssey.vendor_id', '', true);
END
$$;

CREATE INDEX products_name_tsv_gin ON catalog.products USING gin (name_tsv);
CREATE INDEX products_brand_updated_idx ON catalog.products (vendor_id, brand, updated_at DESC, id DESC);
CREATE INDEX products_category_updated_idx ON catalog.products (vendor_id, category_id, updated_at DESC, id DESC);

COMMIT;
