-- Verify odyssey:schema/connector_sync on pg
BEGIN;

SELECT mode, paging, auth_header, token_url, last_test FROM ingest.connectors WHERE false;
SELECT connector_id, vendor_id, secret, created_at FROM ingest.connector_secrets WHERE false;
SELECT job_id, page_no, request_cursor FROM ingest.stg_vendor_raw WHERE false;
SELECT job_id, last_error FROM ingest.connector_cursors WHERE false;
SELECT 1 / count(*) FROM queue.kinds WHERE kind = 'ingest.api';
SELECT 1 / (NOT has_table_privilege('odyssey_worker', 'ingest.connector_secrets', 'SELECT'))::int;

COMMIT;
