-- Verify odyssey:functions/catalog_bulk_write on pg
SELECT 'catalog.product_barcodes_sync()'::regprocedure;
SELECT 1/count(*) FROM pg_trigger WHERE tgrelid = 'catalog.products'::regclass AND tgname = 'products_barcodes_insert';
SELECT 1/count(*) FROM pg_trigger WHERE tgrelid = 'catalog.products'::regclass AND tgname = 'products_barcodes_update';
SELECT 1/count(*) FROM pg_attribute WHERE attrelid = 'matching.product_features'::regclass AND attname = 'p0p' AND attnotnull;
