-- Verify odyssey:functions/ingest_products_merge on pg
SELECT 'ingest.row_error_message(text, text)'::regprocedure;
SELECT 'ingest.staged_raw(jsonb)'::regprocedure;
SELECT 'ingest.taxonomy_id(regclass, text)'::regprocedure;
SELECT 'ingest.merge_products(uuid, uuid, bigint, bigint)'::regprocedure;
SELECT 'ingest.upsert_typed_products(uuid, uuid, bigint)'::regprocedure;
SELECT 'ingest.image_urls(text)'::regprocedure;
