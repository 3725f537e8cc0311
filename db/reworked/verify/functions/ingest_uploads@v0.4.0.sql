-- Verify odyssey:functions/ingest_uploads on pg
SELECT 'api.ingest_csv_create(text, bigint, text, jsonb, text)'::regprocedure,
       'api.ingest_upload_get(uuid)'::regprocedure,
       'api.ingest_upload_advance(uuid, bigint, bigint)'::regprocedure,
       'api.ingest_upload_terminate(uuid)'::regprocedure,
       'api.get_job(uuid)'::regprocedure, 'api.list_jobs(text, text, integer)'::regprocedure,
       'app.upload_json(ingest.uploads)'::regprocedure, 'app.ingest_job_has_errors(uuid, uuid)'::regprocedure,
       'app.ingestion_job_json(ingest.ingestion_jobs, ingest.uploads, boolean)'::regprocedure,
       'ingest.expire_uploads(integer)'::regprocedure;
SELECT 1/(NOT has_function_privilege('odyssey_vendor_viewer', 'api.ingest_csv_create(text, bigint, text, jsonb, text)', 'EXECUTE'))::int;
SELECT 1/has_function_privilege('odyssey_vendor_viewer', 'api.ingest_upload_get(uuid)', 'EXECUTE')::int;
