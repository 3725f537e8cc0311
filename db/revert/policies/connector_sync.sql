-- Revert odyssey:policies/connector_sync from pg
BEGIN;

DROP POLICY raw_pages_machinery ON ingest.stg_vendor_raw;

REVOKE UPDATE (last_test) ON ingest.connectors FROM odyssey_worker;
REVOKE INSERT, UPDATE, DELETE ON ingest.connector_cursors FROM odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator;

COMMIT;
