-- Verify odyssey:schema/product_search_tiers on pg
-- (Its indexes moved to catalog.product_search in schema/product_search_docs, which verifies them.)
SELECT name_tsv FROM catalog.products WHERE false;
SELECT 'catalog.products_name_tsv()'::regprocedure;
SELECT 1 / count(*) FROM pg_catalog.pg_trigger WHERE tgrelid = 'catalog.products'::regclass AND tgname = 'products_name_tsv';
