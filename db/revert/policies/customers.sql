-- Revert odyssey:policies/customers from pg
BEGIN;
SELECT app.disable_tenant_rls(t)
  FROM unnest(ARRAY['crm.customers', 'crm.customer_consents', 'crm.customer_whitelists',
                    'crm.customer_blacklists']::regclass[]) AS t;
COMMIT;
