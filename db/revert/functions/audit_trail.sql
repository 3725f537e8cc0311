-- Revert odyssey:functions/audit_trail from pg
BEGIN;
DROP TRIGGER customers_audit_soft_delete ON crm.customers;
DROP TRIGGER customers_audit_delete ON crm.customers;
DROP TRIGGER products_audit_soft_delete ON catalog.products;
DROP TRIGGER products_audit_delete ON catalog.products;
DROP TRIGGER platform_admins_audit ON core.platform_admins;
DROP TRIGGER user_links_audit ON core.user_links;
DROP TRIGGER health_profiles_audit_delete ON health.customer_health_profiles;
DROP TRIGGER health_profiles_audit_update ON health.customer_health_profiles;
DROP TRIGGER health_profiles_audit_insert ON health.customer_health_profiles;
DROP FUNCTION audit.capture_statement();
DROP FUNCTION audit.capture_row();
DROP FUNCTION audit.record(text, text, text, uuid, jsonb, jsonb);
DROP FUNCTION audit.client_ip();
COMMIT;
