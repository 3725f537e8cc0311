-- Deploy odyssey:schema/vendor_mapping_options to pg
-- requires: schema/ingestion
-- requires: policies/ingestion
-- A vendor's mapping (ingest.vendor_mappings, one version per PUT; the highest applies) carries
-- options beside its header map: options.decimal ('.' or ',') is the decimal separator of every
-- file of that vendor and mode, instead of the one the file's cells prove (functions/ingest_jobs).
-- created_by records who wrote the version.
BEGIN;

ALTER TABLE ingest.vendor_mappings
    ADD COLUMN options jsonb NOT NULL DEFAULT '{}'
        CHECK (jsonb_typeof(options) = 'object' AND coalesce(options ->> 'decimal', '.') IN ('.', ',')),
    ADD COLUMN created_by text;
COMMENT ON COLUMN ingest.vendor_mappings.options IS
  'decimal: "." or "," -- the decimal separator of the vendor''s files of this mode (default: proven by the file''s cells, else its delimiter).';

COMMIT;
