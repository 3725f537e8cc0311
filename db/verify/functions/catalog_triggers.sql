-- Verify odyssey:functions/catalog_triggers on pg
SELECT 'catalog.products_before_write()'::regprocedure, 'crm.customers_before_write()'::regprocedure,
       'catalog.product_barcode_sync()'::regprocedure, 'catalog.bump_catalog_version()'::regprocedure;
