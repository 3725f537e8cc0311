-- Revert odyssey:schema/core from pg
BEGIN;
DROP TABLE core.platform_admins, core.user_links, core.users, core.vendors;
DROP FUNCTION core.vendor_created();
DROP TYPE core.link_status, core.app_role, core.vendor_status;
COMMIT;
