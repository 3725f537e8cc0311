-- Revert odyssey:functions/api_mappings from pg
BEGIN;

REVOKE EXECUTE ON FUNCTION ingest.sniff_csv(bytea), ingest.csv_split(text, text), ingest.csv_count_outside_quotes(text, text)
   FROM odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer;
REVOKE EXECUTE ON FUNCTION ingest.plan_columns(ingest.mapping_mode, uuid, text[]), ingest.required_columns(ingest.mapping_mode),
      ingest.plan_missing(ingest.mapping_mode, jsonb)
   FROM odyssey_vendor_viewer;

DROP FUNCTION api.mapping_preview(text, text);
DROP FUNCTION api.mapping_put(text, jsonb);
DROP FUNCTION api.mapping_get(text);
DROP FUNCTION ingest.mapping_errors(ingest.mapping_mode, jsonb);
DROP FUNCTION ingest.mapping_mode_of(text);
DROP FUNCTION ingest.mapping_json(ingest.mapping_mode, ingest.vendor_mappings);

COMMIT;
