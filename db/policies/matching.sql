-- Deploy odyssey:policies/matching to pg
-- requires: schema/matching
-- Scoring policies: read by vendor roles, written by admins. The matches cache is derived from
-- health data: no vendor_viewer, no analyst.
BEGIN;

GRANT SELECT ON matching.scoring_policies
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer, odyssey_worker;
GRANT INSERT, UPDATE, DELETE ON matching.scoring_policies TO odyssey_superadmin, odyssey_vendor_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON matching.matches_cache
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_worker;

SELECT app.enable_tenant_rls(t)
  FROM unnest(ARRAY['matching.scoring_policies', 'matching.matches_cache']::regclass[]) AS t;
SELECT app.enable_analyst_read('matching.scoring_policies');

COMMIT;
