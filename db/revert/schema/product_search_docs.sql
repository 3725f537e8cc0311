-- Revert odyssey:schema/product_search_docs from pg
BEGIN;
CREATE INDEX products_name_tsv_gin ON catalog.products USING gin (name_tsv);
CREATE INDEX products_brand_updated_idx ON catalog.products (vendor_id, brand, updated_at DESC, id DESC);
CREATE INDEX products_category_updated_idx ON catalog.products (vendor_id, category_id, updated_at DESC, id DESC);
DROP TRIGGER products_search_insert ON catalog.products;
DROP TRIGGER products_search_update ON catalog.products;
DROP TRIGGER products_search_delete ON catalog.products;
DROP FUNCTION catalog.product_search_sync();
DELETE FROM app.vendor_partitioned_tables WHERE parent = 'catalog.product_search'::regclass;
DROP TABLE catalog.product_search;
COMMIT;
