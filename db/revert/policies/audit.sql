-- Revert odyssey:policies/audit from pg
BEGIN;
SELECT app.disable_tenant_rls('audit.audit_log');
COMMIT;
