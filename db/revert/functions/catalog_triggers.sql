-- Revert odyssey:functions/catalog_triggers from pg
BEGIN;
DROP FUNCTION catalog.bump_catalog_version();
DROP FUNCTION catalog.product_barcode_sync();
DROP FUNCTION crm.customers_before_write();
DROP FUNCTION catalog.products_before_write();
COMMIT;
