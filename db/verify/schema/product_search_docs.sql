-- Verify odyssey:schema/product_search_docs on pg
SELECT vendor_id, id, updated_at, search_tsv, name_tsv FROM catalog.product_search WHERE false;
SELECT 'catalog.product_search_tsv_gin'::regclass, 'catalog.product_search_name_tsv_gin'::regclass,
       'catalog.product_search_updated_idx'::regclass;
SELECT 1 / count(*) FROM pg_catalog.pg_trigger WHERE tgrelid = 'catalog.products'::regclass AND tgname = 'products_search_update';
