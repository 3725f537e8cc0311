-- Verify odyssey:functions/ingest_mapping on pg
SELECT 'ingest.required_columns(ingest.mapping_mode)'::regprocedure;
SELECT 'ingest.plan_columns(ingest.mapping_mode, uuid, text[])'::regprocedure;
SELECT 'ingest.numeric_fields(ingest.mapping_mode)'::regprocedure;
SELECT 'ingest.stage_sql(ingest.mapping_mode, jsonb, text, text)'::regprocedure;
SELECT 'ingest.plan_missing(ingest.mapping_mode, jsonb)'::regprocedure;
SELECT 'ingest.decimal_sql(ingest.mapping_mode, jsonb)'::regprocedure;
