-- Revert odyssey:policies/core from pg
BEGIN;
REVOKE ALL ON core.platform_admins FROM odyssey_superadmin;
DROP POLICY user_links_self ON core.user_links;
DROP POLICY user_links_superadmin ON core.user_links;
DROP POLICY tenant_isolation ON core.user_links;
ALTER TABLE core.user_links NO FORCE ROW LEVEL SECURITY;
ALTER TABLE core.user_links DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON core.user_links FROM odyssey_superadmin, odyssey_vendor_admin;
DROP POLICY user_manage ON core.users;
DROP POLICY user_visible ON core.users;
ALTER TABLE core.users NO FORCE ROW LEVEL SECURITY;
ALTER TABLE core.users DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON core.users FROM odyssey_superadmin, odyssey_vendor_admin;
DROP POLICY analyst_read ON core.vendors;
DROP POLICY vendor_insert ON core.vendors;
DROP POLICY vendor_update ON core.vendors;
DROP POLICY vendor_self ON core.vendors;
ALTER TABLE core.vendors NO FORCE ROW LEVEL SECURITY;
ALTER TABLE core.vendors DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON core.vendors FROM odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator,
                                odyssey_vendor_viewer, odyssey_worker, odyssey_analyst;
COMMIT;
