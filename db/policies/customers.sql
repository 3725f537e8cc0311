-- Deploy odyssey:policies/customers to pg
-- requires: schema/customers
-- Customers: tenant-isolated. Every vendor role reads customers; consents and white/blacklists
-- (health-adjacent) are not readable by vendor_viewer. Hard deletes of customers only by the worker.
BEGIN;

GRANT SELECT ON crm.customers
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer, odyssey_worker;
GRANT INSERT, UPDATE ON crm.customers
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_worker;
GRANT DELETE ON crm.customers TO odyssey_worker;
GRANT SELECT, INSERT, UPDATE ON crm.customer_consents
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_worker;
GRANT SELECT, INSERT, UPDATE, DELETE ON crm.customer_whitelists, crm.customer_blacklists
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_worker;

SELECT app.enable_tenant_rls(t)
  FROM unnest(ARRAY['crm.customers', 'crm.customer_consents', 'crm.customer_whitelists',
                    'crm.customer_blacklists']::regclass[]) AS t;

COMMIT;
