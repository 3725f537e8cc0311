-- Verify odyssey:functions/tenant_rls on pg
SELECT 'app.enable_tenant_rls(regclass, name)'::regprocedure, 'app.enable_analyst_read(regclass)'::regprocedure;
