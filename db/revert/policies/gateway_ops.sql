-- Revert odyssey:policies/gateway_ops from pg
BEGIN;
SELECT app.disable_tenant_rls('ops.request_metrics');
COMMIT;
