-- Verify odyssey:schema/product_children_cascade on pg
SELECT 'catalog.product_children_delete()'::regprocedure;
SELECT 1/count(*) FROM pg_trigger WHERE tgrelid = 'catalog.products'::regclass AND tgname = 'products_children_delete';
SELECT 1/(count(*) = 0)::int FROM app.vendor_partition_foreign_keys
 WHERE parent IN ('catalog.product_barcodes'::regclass, 'catalog.product_sources'::regclass);
