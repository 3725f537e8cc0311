-- Deploy odyssey:policies/connector_sync to pg
-- requires: schema/connector_sync
-- requires: policies/ingestion
-- Who writes what of a connector sync: the worker records test outcomes (connectors.last_test
-- only); writers point the cursor row at the sync they queue; admins delete it with its connector.
-- connector_secrets stays the owner's alone (schema/connector_sync revoked it from PUBLIC; no grant).
-- Raw pages expire for every vendor at once: the owner's definer function ingest.purge_raw_pages
-- sets odyssey.queue_scope = 'machinery' around its DELETE (as policies/vendors_machinery).
BEGIN;

CREATE POLICY raw_pages_machinery ON ingest.stg_vendor_raw AS PERMISSIVE FOR ALL TO odyssey_owner
    USING ((SELECT app.setting('odyssey.queue_scope')) = 'machinery');

GRANT UPDATE (last_test) ON ingest.connectors TO odyssey_worker;
GRANT INSERT, UPDATE ON ingest.connector_cursors TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator;
GRANT DELETE ON ingest.connector_cursors TO odyssey_superadmin, odyssey_vendor_admin;

COMMIT;
