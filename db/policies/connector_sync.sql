-- Deploy odyssey:policies/connector_sync to pg
-- requires: schema/connector_sync
-- requires: policies/ingestion
-- Who writes what of a connector sync: the worker records test outcomes (connectors.last_test
-- only); writers point the cursor row at the sync they queue; admins delete it with its connector.
-- connector_secrets stays the owner's alone (schema/connector_sync revoked it from PUBLIC; no grant).
BEGIN;

GRANT UPDATE (last_test) ON ingest.connectors TO odyssey_worker;
GRANT INSERT, UPDATE ON ingest.connector_cursors TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator;
GRANT DELETE ON ingest.connector_cursors TO odyssey_superadmin, odyssey_vendor_admin;

COMMIT;
