-- Verify odyssey:schema/vendor_mapping_options on pg
BEGIN;

SELECT options, created_by FROM ingest.vendor_mappings WHERE false;

COMMIT;
