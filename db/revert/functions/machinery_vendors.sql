-- Revert odyssey:functions/machinery_vendors from pg
BEGIN;

DROP FUNCTION app.machinery_vendor_ids(boolean);

COMMIT;
