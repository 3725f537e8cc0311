-- Revert odyssey:functions/api_customers from pg
BEGIN;
REVOKE EXECUTE ON FUNCTION crm.customer_id(uuid, text)
    FROM odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer;
DROP FUNCTION api.delete_customer(uuid, integer);
DROP FUNCTION api.update_customer(uuid, jsonb, integer, boolean);
DROP FUNCTION api.get_customer(uuid);
DROP FUNCTION api.upsert_customers(jsonb);
DROP FUNCTION api.list_customers(text, text, text[], timestamptz, text, integer);
DROP FUNCTION app.customer_json(crm.customers);
COMMIT;
