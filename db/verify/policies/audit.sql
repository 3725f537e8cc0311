-- Verify odyssey:policies/audit on pg
SELECT 1/(relrowsecurity AND relforcerowsecurity)::int FROM pg_catalog.pg_class WHERE oid = 'audit.audit_log'::regclass;
SELECT 1/(NOT has_table_privilege('odyssey_vendor_admin', 'audit.audit_log', 'delete'))::int;
