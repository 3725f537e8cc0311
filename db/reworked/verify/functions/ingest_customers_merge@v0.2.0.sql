-- Verify odyssey:functions/ingest_customers_merge on pg
SELECT 'ingest.try_date(text)'::regprocedure;
SELECT 'ingest.try_json_object(text)'::regprocedure;
SELECT 'ingest.merge_customers(uuid, uuid, bigint, bigint)'::regprocedure;
SELECT 'ingest.upsert_typed_customers(uuid, bigint)'::regprocedure;
SELECT 'ingest.apply_typed_batch(uuid, uuid, ingest.job_mode, bigint, bigint)'::regprocedure;
SELECT 'ingest.upsert_typed(ingest.job_mode, uuid, uuid, bigint)'::regprocedure;
