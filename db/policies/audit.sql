-- Deploy odyssey:policies/audit to pg
-- requires: functions/audit_trail
-- The audit trail: vendor admins read their vendor's events, superadmins read all. Nobody is
-- granted INSERT/UPDATE/DELETE: rows arrive only through definer-rights functions (the insert
-- policy lets those through), and the append-only trigger refuses changes even to the owner.
BEGIN;

GRANT SELECT ON audit.audit_log TO odyssey_superadmin, odyssey_vendor_admin;
SELECT app.enable_tenant_rls('audit.audit_log');
DROP POLICY tenant_isolation ON audit.audit_log;
CREATE POLICY audit_read ON audit.audit_log FOR SELECT
    USING (vendor_id = (SELECT app.current_vendor_id()) OR (SELECT app.is_superadmin()));
CREATE POLICY audit_append ON audit.audit_log FOR INSERT WITH CHECK (true);

COMMIT;
