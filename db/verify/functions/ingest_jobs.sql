-- Verify odyssey:functions/ingest_jobs on pg
SELECT 'ingest.job_for_update(uuid)'::regprocedure;
SELECT 'ingest.job_progress(text, numeric)'::regprocedure;
SELECT 'ingest.job_enter_phase(jsonb, text)'::regprocedure;
SELECT 'ingest.job_begin(uuid)'::regprocedure;
SELECT 'ingest.job_plan(uuid, bytea)'::regprocedure;
SELECT 'ingest.job_copy_resume(uuid)'::regprocedure;
SELECT 'ingest.job_stage_chunk(uuid, bigint, bigint)'::regprocedure;
SELECT 'ingest.job_row_defect(uuid, bigint, text, text, jsonb)'::regprocedure;
SELECT 'ingest.job_purge_staging(ingest.ingestion_jobs)'::regprocedure;
SELECT 'ingest.job_validate(uuid)'::regprocedure;
SELECT 'ingest.job_merge_next(uuid, integer)'::regprocedure;
SELECT 'ingest.analyze_vendor_tables(ingest.job_mode)'::regprocedure;
SELECT 'ingest.job_end(uuid, ingest.job_status, jsonb)'::regprocedure;
SELECT 'ingest.job_analyze(uuid)'::regprocedure;
SELECT 'ingest.job_finalize(uuid)'::regprocedure;
SELECT 'ingest.job_fail(uuid, text, text)'::regprocedure;
SELECT 'api.cancel_job(uuid)'::regprocedure;
SELECT 'api.job_errors(uuid)'::regprocedure;
