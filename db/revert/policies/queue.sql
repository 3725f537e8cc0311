-- Revert odyssey:policies/queue from pg
BEGIN;
SELECT app.disable_tenant_rls(t)
  FROM unnest(ARRAY['queue.jobs', 'queue.dead_letters', 'queue.vendor_caps', 'queue.vendor_turns', 'queue.cap_slots']::regclass[]) AS t;
REVOKE ALL ON queue.kinds FROM odyssey_worker, odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer;
REVOKE USAGE ON SCHEMA queue
  FROM odyssey_worker, odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer;
COMMIT;
