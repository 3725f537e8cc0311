-- Verify odyssey:policies/gateway_ops on pg
SELECT 1/(relrowsecurity AND relforcerowsecurity)::int FROM pg_catalog.pg_class WHERE oid = 'ops.request_metrics'::regclass;
