-- Revert odyssey:functions/app_context from pg
BEGIN;
DROP FUNCTION app.touch_versioned_row();
DROP FUNCTION app.touch_row();
DROP FUNCTION app.request_id();
DROP FUNCTION app.is_superadmin();
DROP FUNCTION app.require_vendor();
DROP FUNCTION app.current_app_role();
DROP FUNCTION app.current_user_id();
DROP FUNCTION app.current_vendor_id();
DROP FUNCTION app.setting(text);
COMMIT;
