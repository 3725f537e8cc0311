-- Verify odyssey:policies/idempotency on pg
SELECT 1/(relrowsecurity AND relforcerowsecurity)::int FROM pg_catalog.pg_class WHERE oid = 'ops.idempotency_keys'::regclass;
