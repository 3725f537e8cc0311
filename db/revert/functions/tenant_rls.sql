-- Revert odyssey:functions/tenant_rls from pg
BEGIN;
DROP FUNCTION app.disable_tenant_rls(regclass);
DROP FUNCTION app.enable_analyst_read(regclass);
DROP FUNCTION app.enable_tenant_rls(regclass, name);
COMMIT;
