-- Revert odyssey:functions/ingest_customers_merge from pg
BEGIN;
DROP FUNCTION ingest.upsert_typed_customers(uuid, bigint);
DROP FUNCTION ingest.merge_customers(uuid, uuid, bigint, bigint);
DROP FUNCTION ingest.upsert_typed(ingest.job_mode, uuid, uuid, bigint);
DROP FUNCTION ingest.apply_typed_batch(uuid, uuid, ingest.job_mode, bigint, bigint);
DROP FUNCTION ingest.try_json_object(text);
DROP FUNCTION ingest.try_date(text);
COMMIT;
