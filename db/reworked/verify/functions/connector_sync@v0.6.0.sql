-- Verify odyssey:functions/connector_sync on pg
BEGIN;

SELECT 'ingest.sync_begin(uuid)'::regprocedure, 'ingest.sync_stage_page(uuid, integer, text, jsonb)'::regprocedure,
       'ingest.connector_plan(ingest.mapping_mode, uuid, jsonb, jsonb)'::regprocedure,
       'ingest.connector_test_result(uuid, uuid, jsonb, jsonb)'::regprocedure,
       'ingest.purge_raw_pages(interval, integer)'::regprocedure;
SELECT 1 / (ingest.json_cell('["milk", "soy"]') = 'milk|soy')::int;
SELECT 1 / has_function_privilege('odyssey_worker', 'ingest.connector_secret(uuid)', 'EXECUTE')::int;
SELECT 1 / (NOT has_function_privilege('odyssey_vendor_admin', 'ingest.connector_secret(uuid)', 'EXECUTE'))::int;
SELECT 1 / count(*) FROM pg_catalog.pg_trigger WHERE tgname = 'ingestion_jobs_connector_ended';

COMMIT;
