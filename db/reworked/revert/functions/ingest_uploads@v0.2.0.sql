-- Revert odyssey:functions/ingest_uploads from pg
BEGIN;
DROP FUNCTION api.list_jobs(text, text, integer);
DROP FUNCTION api.get_job(uuid);
DROP FUNCTION api.ingest_upload_terminate(uuid);
DROP FUNCTION api.ingest_upload_advance(uuid, bigint, bigint);
DROP FUNCTION api.ingest_upload_get(uuid);
DROP FUNCTION api.ingest_csv_create(text, bigint, text, jsonb, text);
DROP FUNCTION app.ingestion_job_json(ingest.ingestion_jobs, ingest.uploads, boolean);
DROP FUNCTION app.ingest_job_has_errors(uuid, uuid);
DROP FUNCTION app.upload_json(ingest.uploads);
COMMIT;
