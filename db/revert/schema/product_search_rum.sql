-- Revert odyssey:schema/product_search_rum from pg
BEGIN;
DROP INDEX catalog.products_search_tsv_rum;
COMMIT;
