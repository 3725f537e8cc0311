-- Revert odyssey:schema/connector_sync from pg
BEGIN;

DELETE FROM queue.jobs WHERE kind IN ('ingest.api', 'connector.test');
DELETE FROM queue.dead_letters WHERE kind IN ('ingest.api', 'connector.test');
DELETE FROM queue.kinds WHERE kind IN ('ingest.api', 'connector.test');
ALTER TABLE ingest.connector_cursors DROP COLUMN job_id, DROP COLUMN last_error;
DROP INDEX ingest.stg_vendor_raw_fetched_idx;
DROP INDEX ingest.stg_vendor_raw_job_page_key;
ALTER TABLE ingest.stg_vendor_raw DROP COLUMN job_id, DROP COLUMN page_no, DROP COLUMN request_cursor;
DROP TABLE ingest.connector_secrets;
ALTER TABLE ingest.connectors DROP COLUMN mode, DROP COLUMN paging, DROP COLUMN auth_header,
    DROP COLUMN token_url, DROP COLUMN last_test;

COMMIT;
