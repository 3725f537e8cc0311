-- Revert odyssey:schema/product_search_tiers from pg
BEGIN;
DROP INDEX catalog.products_category_updated_idx;
DROP INDEX catalog.products_brand_updated_idx;
DROP INDEX catalog.products_name_tsv_gin;
DROP TRIGGER products_name_tsv ON catalog.products;
DROP FUNCTION catalog.products_name_tsv();
ALTER TABLE catalog.products DROP COLUMN name_tsv;
COMMIT;
