-- Verify odyssey:policies/connector_sync on pg
BEGIN;

SELECT 1 / has_column_privilege('odyssey_worker', 'ingest.connectors', 'last_test', 'UPDATE')::int;
SELECT 1 / (NOT has_column_privilege('odyssey_worker', 'ingest.connectors', 'base_url', 'UPDATE'))::int;
SELECT 1 / has_table_privilege('odyssey_vendor_operator', 'ingest.connector_cursors', 'INSERT')::int;

COMMIT;
