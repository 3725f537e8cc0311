-- Verify odyssey:policies/vendors_machinery on pg
SELECT 1/count(*)::int FROM pg_catalog.pg_policy
 WHERE polrelid = 'core.vendors'::regclass AND polname = 'vendors_machinery' AND polcmd = 'r';
