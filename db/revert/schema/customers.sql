-- Revert odyssey:schema/customers from pg
BEGIN;
DELETE FROM app.vendor_partitioned_tables
 WHERE parent IN ('crm.customer_blacklists'::regclass, 'crm.customer_whitelists'::regclass,
                  'crm.customer_consents'::regclass, 'crm.customers'::regclass);
DROP TABLE crm.customer_blacklists, crm.customer_whitelists, crm.customer_consents, crm.customers;
DROP FUNCTION crm.customer_id(uuid, text);
DROP TYPE crm.gender;
COMMIT;
