-- Verify odyssey:policies/customers on pg
SELECT 1/(count(*) = 4)::int FROM pg_catalog.pg_class c
 WHERE c.oid IN ('crm.customers'::regclass, 'crm.customer_consents'::regclass,
                 'crm.customer_whitelists'::regclass, 'crm.customer_blacklists'::regclass)
   AND c.relrowsecurity AND c.relforcerowsecurity;
