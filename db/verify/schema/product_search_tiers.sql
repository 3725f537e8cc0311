-- Verify odyssey:schema/product_search_tiers on pg
SELECT name_tsv FROM catalog.products WHERE false;
SELECT 'catalog.products_name_tsv_gin'::regclass, 'catalog.products_brand_updated_idx'::regclass, 'catalog.products_category_updated_idx'::regclass;
