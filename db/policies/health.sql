-- Deploy odyssey:policies/health to pg
-- requires: schema/health
-- Health data (PHI), minimum necessary: vendor_admin, vendor_operator, superadmin (break-glass,
-- inside a vendor) and the worker; vendor_viewer and the analyst have no privilege at all.
-- Diet rules: platform templates (vendor_id NULL) are readable by all, writable by superadmins;
-- a vendor's own rules by its admins.
BEGIN;

GRANT SELECT, INSERT, UPDATE ON health.customer_health_profiles
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_worker;
GRANT DELETE ON health.customer_health_profiles TO odyssey_worker;
SELECT app.enable_tenant_rls('health.customer_health_profiles');

GRANT SELECT ON health.diet_rules
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer, odyssey_worker;
GRANT INSERT, UPDATE, DELETE ON health.diet_rules TO odyssey_superadmin, odyssey_vendor_admin;
SELECT app.enable_tenant_rls('health.diet_rules');
CREATE POLICY diet_rules_platform_read ON health.diet_rules FOR SELECT USING (vendor_id IS NULL);
CREATE POLICY diet_rules_platform_write ON health.diet_rules FOR ALL
    USING (vendor_id IS NULL AND (SELECT app.is_superadmin()))
    WITH CHECK (vendor_id IS NULL AND (SELECT app.is_superadmin()));
SELECT app.enable_analyst_read('health.diet_rules');

COMMIT;
