-- Verify odyssey:policies/core on pg
SELECT 1/(count(*) = 3)::int FROM pg_catalog.pg_class
 WHERE oid IN ('core.vendors'::regclass, 'core.users'::regclass, 'core.user_links'::regclass)
   AND relrowsecurity AND relforcerowsecurity;
