-- Revert odyssey:policies/idempotency from pg
BEGIN;
SELECT app.disable_tenant_rls('ops.idempotency_keys');
COMMIT;
