-- Deploy odyssey:policies/ingest_pipeline to pg
-- requires: schema/ingest_pipeline
-- requires: policies/ingestion
-- Uploads: the gateway's writing roles create and advance their vendor's uploads; viewers may see
-- upload progress; the worker reads them. Events: written by the worker when it finalizes a job,
-- read by vendor admins (and the webhook fan-out, later). Both tenant-isolated. The worker may
-- create temp tables (its COPY chunks land in one).
BEGIN;

GRANT SELECT ON ingest.uploads
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer, odyssey_worker;
GRANT INSERT, UPDATE ON ingest.uploads TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator;
GRANT UPDATE ON ingest.uploads TO odyssey_worker;

GRANT SELECT ON hooks.events TO odyssey_superadmin, odyssey_vendor_admin, odyssey_worker;
GRANT INSERT, UPDATE ON hooks.events TO odyssey_worker;

SELECT app.enable_tenant_rls(t) FROM unnest(ARRAY['ingest.uploads', 'hooks.events']::regclass[]) AS t;

-- The ingest worker COPYs each chunk into a session temp table before mapping it into staging.
DO $$ BEGIN EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO odyssey_worker', current_database()); END $$;
SELECT app.enable_analyst_read('ingest.uploads');

COMMIT;
