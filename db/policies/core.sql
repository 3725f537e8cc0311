-- Deploy odyssey:policies/core to pg
-- requires: schema/core
-- requires: functions/audit_trail
-- Who sees and changes vendors, users, memberships and platform admins.
--   vendors: a vendor role sees its own vendor; superadmins see and manage all.
--   users: a user sees self and the users linked to the current vendor; superadmins all.
--   user_links: tenant-isolated; vendor_admin manages its vendor's memberships (operators cannot
--     change roles); a user may read their own links (to pick a vendor); superadmins manage all.
--   platform_admins: superadmins only (GRANT level).
BEGIN;

GRANT SELECT ON core.vendors TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator,
                                odyssey_vendor_viewer, odyssey_worker;
GRANT INSERT, UPDATE ON core.vendors TO odyssey_superadmin;
ALTER TABLE core.vendors ENABLE ROW LEVEL SECURITY;
ALTER TABLE core.vendors FORCE ROW LEVEL SECURITY;
CREATE POLICY vendor_self ON core.vendors FOR SELECT
    USING (id = (SELECT app.current_vendor_id()) OR (SELECT app.is_superadmin()));
-- UPDATE is granted to superadmins only; the owner (catalog_version bumps in definer-rights
-- triggers) may touch the transaction's own vendor row.
CREATE POLICY vendor_update ON core.vendors FOR UPDATE
    USING (id = (SELECT app.current_vendor_id()) OR (SELECT app.is_superadmin()))
    WITH CHECK (id = (SELECT app.current_vendor_id()) OR (SELECT app.is_superadmin()));
CREATE POLICY vendor_insert ON core.vendors FOR INSERT WITH CHECK ((SELECT app.is_superadmin()));
SELECT app.enable_analyst_read('core.vendors');

GRANT SELECT ON core.users TO odyssey_superadmin, odyssey_vendor_admin;
GRANT INSERT, UPDATE, DELETE ON core.users TO odyssey_superadmin;
ALTER TABLE core.users ENABLE ROW LEVEL SECURITY;
ALTER TABLE core.users FORCE ROW LEVEL SECURITY;
CREATE POLICY user_visible ON core.users FOR SELECT
    USING ((SELECT app.is_superadmin())
           OR id = (SELECT app.current_user_id())
           OR EXISTS (SELECT FROM core.user_links l
                       WHERE l.user_id = users.id AND l.vendor_id = (SELECT app.current_vendor_id())));
CREATE POLICY user_manage ON core.users FOR ALL
    USING ((SELECT app.is_superadmin())) WITH CHECK ((SELECT app.is_superadmin()));

GRANT SELECT ON core.user_links TO odyssey_superadmin, odyssey_vendor_admin;
GRANT INSERT, UPDATE, DELETE ON core.user_links TO odyssey_superadmin, odyssey_vendor_admin;
SELECT app.enable_tenant_rls('core.user_links');
CREATE POLICY user_links_superadmin ON core.user_links FOR ALL
    USING ((SELECT app.is_superadmin())) WITH CHECK ((SELECT app.is_superadmin()));
CREATE POLICY user_links_self ON core.user_links FOR SELECT
    USING (user_id = (SELECT app.current_user_id()));

GRANT SELECT, INSERT, UPDATE, DELETE ON core.platform_admins TO odyssey_superadmin;

COMMIT;
