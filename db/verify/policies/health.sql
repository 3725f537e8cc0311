-- Verify odyssey:policies/health on pg
SELECT 1/(count(*) = 2)::int FROM pg_catalog.pg_class
 WHERE oid IN ('health.customer_health_profiles'::regclass, 'health.diet_rules'::regclass)
   AND relrowsecurity AND relforcerowsecurity;
SELECT 1/(NOT has_table_privilege('odyssey_vendor_viewer', 'health.customer_health_profiles', 'select'))::int;
