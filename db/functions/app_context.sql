-- Deploy odyssey:functions/app_context to pg
-- requires: schema/namespaces
-- The request context. The gateway sets, in one statement per transaction (set_config(..., true)):
--   role                  one of odyssey_superadmin|odyssey_vendor_admin|odyssey_vendor_operator|odyssey_vendor_viewer
--   odyssey.user_id       the authenticated user (JWT sub / userId)
--   odyssey.vendor_id     the tenant the request acts in
--   odyssey.request_id, odyssey.ip, odyssey.ua, odyssey.justification (break-glass)
-- Policies call these helpers wrapped as (select app.current_vendor_id()) so they run once per
-- statement. Unset or empty settings yield NULL, and NULL matches no row: isolation fails closed.
BEGIN;

CREATE OR REPLACE FUNCTION app.setting(p_name text)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT nullif(pg_catalog.current_setting(p_name, true), '') $$;
COMMENT ON FUNCTION app.setting(text) IS 'A custom setting, NULL when unset or empty.';

CREATE OR REPLACE FUNCTION app.current_vendor_id()
RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    -- A malformed tenant setting sees nothing, exactly like an unset one.
    SELECT CASE WHEN v ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
                THEN v::uuid END
      FROM pg_catalog.current_setting('odyssey.vendor_id', true) AS v
$$;
COMMENT ON FUNCTION app.current_vendor_id() IS 'The tenant of the current transaction (odyssey.vendor_id), NULL when unset or malformed.';

CREATE OR REPLACE FUNCTION app.current_user_id()
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT nullif(pg_catalog.current_setting('odyssey.user_id', true), '') $$;
COMMENT ON FUNCTION app.current_user_id() IS 'The authenticated user of the current transaction (odyssey.user_id).';

CREATE OR REPLACE FUNCTION app.current_app_role()
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    -- The SQL role switched to with SET LOCAL ROLE is authoritative: a session can only switch to
    -- roles it is a member of, and the value survives into definer-rights functions.
    SELECT CASE pg_catalog.current_setting('role')
             WHEN 'odyssey_superadmin'      THEN 'superadmin'
             WHEN 'odyssey_vendor_admin'    THEN 'vendor_admin'
             WHEN 'odyssey_vendor_operator' THEN 'vendor_operator'
             WHEN 'odyssey_vendor_viewer'   THEN 'vendor_viewer'
             ELSE CASE session_user
                    WHEN 'odyssey_worker'  THEN 'worker'
                    WHEN 'odyssey_analyst' THEN 'analyst'
                    ELSE nullif(pg_catalog.current_setting('odyssey.role', true), '')
                  END
           END
$$;
COMMENT ON FUNCTION app.current_app_role() IS 'The RBAC role of the current transaction, from the SQL role switched to (or the odyssey.role setting for owner sessions).';

CREATE OR REPLACE FUNCTION app.require_vendor()
RETURNS uuid
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_vendor uuid := app.current_vendor_id();
BEGIN
    IF v_vendor IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'OD400',
              MESSAGE = 'this endpoint acts inside a vendor: a superadmin must give X-Vendor-Id and X-Justification';
    END IF;
    RETURN v_vendor;
END
$$;
COMMENT ON FUNCTION app.require_vendor() IS 'The current vendor; OD400 when the request acts outside any vendor.';

CREATE OR REPLACE FUNCTION app.is_superadmin()
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT coalesce(app.current_app_role() = 'superadmin', false) $$;
COMMENT ON FUNCTION app.is_superadmin() IS 'True when the transaction runs as the platform superadmin role.';

CREATE OR REPLACE FUNCTION app.request_id()
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT nullif(pg_catalog.current_setting('odyssey.request_id', true), '') $$;
COMMENT ON FUNCTION app.request_id() IS 'The request id of the current transaction (odyssey.request_id).';

CREATE OR REPLACE FUNCTION app.touch_row()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.created_at := OLD.created_at;
    NEW.updated_at := pg_catalog.now();
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION app.touch_row() IS 'BEFORE UPDATE trigger: keeps created_at, stamps updated_at.';

CREATE OR REPLACE FUNCTION app.touch_versioned_row()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.created_at := OLD.created_at;
    NEW.updated_at := pg_catalog.now();
    NEW.version := OLD.version + 1;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION app.touch_versioned_row() IS 'BEFORE UPDATE trigger: keeps created_at, stamps updated_at, increments version (optimistic concurrency).';

GRANT EXECUTE ON FUNCTION app.setting(text), app.current_vendor_id(), app.require_vendor(), app.current_user_id(),
      app.current_app_role(), app.is_superadmin(), app.request_id()
   TO PUBLIC;

COMMIT;
