-- Revert odyssey:functions/ingest_mapping from pg
BEGIN;
DROP FUNCTION ingest.stage_sql(ingest.mapping_mode, jsonb);
DROP FUNCTION ingest.plan_columns(ingest.mapping_mode, uuid, text[]);
DROP FUNCTION ingest.required_columns(ingest.mapping_mode);
COMMIT;
