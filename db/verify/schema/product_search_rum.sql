-- Verify odyssey:schema/product_search_rum on pg
SELECT 1/count(*)::int FROM pg_catalog.pg_class WHERE oid = 'catalog.products_search_tsv_rum'::regclass;
