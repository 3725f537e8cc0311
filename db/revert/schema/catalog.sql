-- Revert odyssey:schema/catalog from pg
BEGIN;
DELETE FROM app.vendor_partitioned_tables
 WHERE parent IN ('catalog.product_sources'::regclass, 'catalog.product_images'::regclass,
                  'catalog.product_barcodes'::regclass, 'catalog.products'::regclass);
DROP TABLE catalog.product_sources, catalog.product_images, catalog.product_barcodes, catalog.products;
DROP FUNCTION catalog.product_id(uuid, text);
DROP TYPE catalog.gtin_type, catalog.product_status;
COMMIT;
