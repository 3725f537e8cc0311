-- Deploy odyssey:policies/idempotency to pg
-- requires: schema/idempotency
-- Idempotency keys are written under the request's role, in the request's transaction.
BEGIN;

GRANT SELECT, INSERT, UPDATE ON ops.idempotency_keys
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer;
GRANT SELECT, DELETE ON ops.idempotency_keys TO odyssey_worker;
SELECT app.enable_tenant_rls('ops.idempotency_keys');

COMMIT;
