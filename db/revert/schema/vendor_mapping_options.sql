-- Revert odyssey:schema/vendor_mapping_options from pg
BEGIN;

ALTER TABLE ingest.vendor_mappings DROP COLUMN options, DROP COLUMN created_by;

COMMIT;
