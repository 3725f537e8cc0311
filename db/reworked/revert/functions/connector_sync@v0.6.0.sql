-- Revert odyssey:functions/connector_sync from pg
BEGIN;

DROP TRIGGER dead_letters_end_connector_test ON queue.dead_letters;
DROP FUNCTION ingest.connector_test_dead_lettered();
DROP TRIGGER dead_letters_fail_connector_job ON queue.dead_letters;
DROP TRIGGER ingestion_jobs_connector_ended ON ingest.ingestion_jobs;
DROP FUNCTION ingest.connector_job_ended();
DROP FUNCTION ingest.purge_raw_pages(interval, integer);
DROP FUNCTION ingest.connector_test_result(uuid, uuid, jsonb, jsonb);
DROP FUNCTION ingest.connector_test_begin(uuid, uuid);
DROP FUNCTION ingest.connector_secret(uuid);
DROP FUNCTION ingest.sync_stage_page(uuid, integer, text, jsonb);
DROP FUNCTION ingest.sync_begin(uuid);
DROP FUNCTION ingest.sync_job_for_update(uuid);
DROP FUNCTION ingest.page_read(jsonb, jsonb);
DROP FUNCTION ingest.connector_call(ingest.connectors, text, jsonb, text);
DROP FUNCTION ingest.stage_items(ingest.mapping_mode, jsonb, jsonb, uuid, uuid, bigint);
DROP FUNCTION ingest.connector_plan(ingest.mapping_mode, uuid, jsonb, jsonb);
DROP FUNCTION ingest.json_cell(jsonb);
DROP FUNCTION ingest.json_at(jsonb, text);
DROP FUNCTION ingest.connector_paging(jsonb);

COMMIT;
