-- Revert odyssey:policies/ingest_pipeline from pg
BEGIN;

SELECT app.disable_tenant_rls(t) FROM unnest(ARRAY['ingest.uploads', 'hooks.events']::regclass[]) AS t;
REVOKE ALL ON ingest.uploads, hooks.events
  FROM odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer, odyssey_worker,
       odyssey_analyst;

DO $$ BEGIN EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM odyssey_worker', current_database()); END $$;

COMMIT;
