-- Revert odyssey:policies/health from pg
BEGIN;
SELECT app.disable_tenant_rls(t)
  FROM unnest(ARRAY['health.customer_health_profiles', 'health.diet_rules']::regclass[]) AS t;
COMMIT;
