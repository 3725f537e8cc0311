-- Verify odyssey:policies/webhooks on pg
SELECT 1/(count(*) = 2)::int FROM pg_catalog.pg_class
 WHERE oid IN ('hooks.webhook_endpoints'::regclass, 'hooks.webhook_deliveries'::regclass)
   AND relrowsecurity AND relforcerowsecurity;
