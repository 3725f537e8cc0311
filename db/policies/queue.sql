-- Deploy odyssey:policies/queue to pg
-- requires: functions/queue
-- Queue tables hold vendor data (payloads, errors): RLS enabled and forced, tenant_isolation as
-- everywhere (for the application roles). Two more things:
--   * queue_machinery: the queue functions (definer-rights, owned by odyssey_owner) serve every
--     tenant; they run with SET odyssey.queue_scope = 'machinery', and only then does this policy
--     open the rows to the owner. Nobody else (worker included) reads the tables directly.
--   * vendor roles may read their own vendor's jobs and dead letters (and caps), nothing more;
--     platform jobs (vendor_id NULL) are visible to no vendor.
BEGIN;

GRANT USAGE ON SCHEMA queue
   TO odyssey_worker, odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer;

GRANT SELECT ON queue.kinds
   TO odyssey_worker, odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer;
GRANT INSERT, UPDATE, DELETE ON queue.kinds TO odyssey_superadmin;
GRANT SELECT ON queue.jobs, queue.dead_letters
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator;
GRANT SELECT ON queue.vendor_caps TO odyssey_superadmin, odyssey_vendor_admin;
GRANT INSERT, UPDATE, DELETE ON queue.vendor_caps TO odyssey_superadmin;
GRANT DELETE ON queue.dead_letters TO odyssey_superadmin;

SELECT app.enable_tenant_rls(t)
  FROM unnest(ARRAY['queue.jobs', 'queue.dead_letters', 'queue.vendor_caps']::regclass[]) AS t;
SELECT app.enable_tenant_rls('queue.vendor_turns', 'tenant_key');
SELECT app.enable_tenant_rls('queue.cap_slots', 'tenant_key');
-- tenant_isolation applies to the application roles by name rather than PUBLIC, so that it is not
-- also evaluated inside the queue functions (run as the owner): its app.current_vendor_id()
-- InitPlan, once per table reference, cost about half of a single-job dequeue. A role not listed
-- here has no policy at all on these tables, i.e. sees and writes nothing.
DO $$
DECLARE
    v_table text;
BEGIN
    FOREACH v_table IN ARRAY ARRAY['queue.jobs', 'queue.dead_letters', 'queue.vendor_caps', 'queue.vendor_turns', 'queue.cap_slots'] LOOP
        EXECUTE format('ALTER POLICY tenant_isolation ON %s TO odyssey_superadmin, odyssey_vendor_admin, '
                       'odyssey_vendor_operator, odyssey_vendor_viewer, odyssey_worker, odyssey_analyst, odyssey_gateway', v_table);
    END LOOP;
END
$$;

DO $$
DECLARE
    v_table text;
BEGIN
    FOREACH v_table IN ARRAY ARRAY['queue.jobs', 'queue.dead_letters', 'queue.vendor_caps', 'queue.vendor_turns', 'queue.cap_slots'] LOOP
        EXECUTE format('CREATE POLICY queue_machinery ON %s AS PERMISSIVE FOR ALL TO odyssey_owner '
                       'USING ((SELECT app.setting(''odyssey.queue_scope'')) = ''machinery'') '
                       'WITH CHECK ((SELECT app.setting(''odyssey.queue_scope'')) = ''machinery'')', v_table);
    END LOOP;
END
$$;

COMMIT;
