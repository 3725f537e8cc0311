-- Revert odyssey:policies/matching from pg
BEGIN;
SELECT app.disable_tenant_rls(t)
  FROM unnest(ARRAY['matching.scoring_policies', 'matching.matches_cache']::regclass[]) AS t;
COMMIT;
