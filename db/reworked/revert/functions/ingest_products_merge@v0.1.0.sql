-- Revert odyssey:functions/ingest_products_merge from pg
BEGIN;
DROP FUNCTION ingest.upsert_typed_products(uuid, uuid, bigint);
DROP FUNCTION ingest.merge_products(uuid, uuid, bigint, bigint);
DROP FUNCTION ingest.taxonomy_id(regclass, text);
DROP FUNCTION ingest.staged_raw(jsonb);
DROP FUNCTION ingest.row_error_message(text, text);
COMMIT;
