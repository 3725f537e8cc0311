-- Revert odyssey:policies/webhooks from pg
BEGIN;
SELECT app.disable_tenant_rls(t)
  FROM unnest(ARRAY['hooks.webhook_endpoints', 'hooks.webhook_deliveries']::regclass[]) AS t;
COMMIT;
