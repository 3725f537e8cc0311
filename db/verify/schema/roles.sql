-- Verify odyssey:schema/roles on pg
SELECT 1/(count(*) = 7)::int FROM pg_catalog.pg_roles
 WHERE rolname IN ('odyssey_gateway', 'odyssey_worker', 'odyssey_analyst', 'odyssey_superadmin',
                   'odyssey_vendor_admin', 'odyssey_vendor_operator', 'odyssey_vendor_viewer')
   AND NOT rolbypassrls AND NOT rolsuper;
