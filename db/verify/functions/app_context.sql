-- Verify odyssey:functions/app_context on pg
SELECT app.current_vendor_id(), app.current_user_id(), app.current_app_role(), app.is_superadmin(), app.request_id();
SELECT has_function_privilege('app.touch_versioned_row()', 'execute');
