-- Deploy odyssey:policies/webhooks to pg
-- requires: schema/webhooks
-- Webhook endpoints: vendor admins manage their own; deliveries are written by the worker.
BEGIN;

GRANT SELECT ON hooks.webhook_endpoints, hooks.webhook_deliveries
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_worker;
GRANT INSERT, UPDATE, DELETE ON hooks.webhook_endpoints TO odyssey_superadmin, odyssey_vendor_admin;
GRANT INSERT, UPDATE ON hooks.webhook_deliveries TO odyssey_worker;

SELECT app.enable_tenant_rls(t)
  FROM unnest(ARRAY['hooks.webhook_endpoints', 'hooks.webhook_deliveries']::regclass[]) AS t;

COMMIT;
