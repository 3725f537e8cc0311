-- Verify odyssey:schema/core on pg
SELECT id, name, status, settings_json, catalog_version, created_at, updated_at FROM core.vendors WHERE false;
SELECT id, email, display_name, created_at, updated_at FROM core.users WHERE false;
SELECT id, user_id, vendor_id, role, status, created_at, updated_at FROM core.user_links WHERE false;
SELECT user_id, granted_by, reason, created_at, updated_at FROM core.platform_admins WHERE false;
