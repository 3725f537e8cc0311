-- Revert odyssey:functions/audit_trail_fixes from pg
-- Restores the functions/audit_trail versions.
BEGIN;

CREATE OR REPLACE FUNCTION audit.record(p_action text, p_entity text, p_entity_id text,
                                        p_vendor_id uuid DEFAULT NULL, p_before jsonb DEFAULT NULL,
                                        p_after jsonb DEFAULT NULL)
RETURNS bigint
LANGUAGE sql
SECURITY DEFINER
SET search_path = ''
AS $$
    INSERT INTO audit.audit_log (actor_user_id, actor_role, vendor_id, action, entity, entity_id,
                                 before, after, ip, ua, justification, request_id, db_role)
    VALUES (app.current_user_id(), app.current_app_role(),
            coalesce(p_vendor_id, app.current_vendor_id()), p_action, p_entity, p_entity_id,
            p_before, p_after, audit.client_ip(), app.setting('odyssey.ua'),
            app.setting('odyssey.justification'), app.request_id(), session_user)
    RETURNING id
$$;
COMMENT ON FUNCTION audit.record(text, text, text, uuid, jsonb, jsonb) IS
  'Appends one audit event in the current request context; returns its id.';

CREATE OR REPLACE FUNCTION audit.capture_row()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_key    text := TG_ARGV[0];
    v_old    jsonb := CASE WHEN TG_OP IN ('UPDATE', 'DELETE') THEN pg_catalog.to_jsonb(OLD) END;
    v_new    jsonb := CASE WHEN TG_OP IN ('INSERT', 'UPDATE') THEN pg_catalog.to_jsonb(NEW) END;
    v_action text := pg_catalog.lower(TG_OP);
BEGIN
    IF TG_OP = 'UPDATE' AND v_new ? 'soft_deleted_at'
       AND (v_old ->> 'soft_deleted_at') IS DISTINCT FROM (v_new ->> 'soft_deleted_at') THEN
        v_action := CASE WHEN v_new ->> 'soft_deleted_at' IS NULL THEN 'restore' ELSE 'soft_delete' END;
    END IF;
    INSERT INTO audit.audit_log (actor_user_id, actor_role, vendor_id, action, entity, entity_id,
                                 before, after, ip, ua, justification, request_id, db_role)
    VALUES (app.current_user_id(), app.current_app_role(),
            coalesce(v_new ->> 'vendor_id', v_old ->> 'vendor_id')::uuid, v_action,
            TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, coalesce(v_new, v_old) ->> v_key,
            v_old, v_new, audit.client_ip(), app.setting('odyssey.ua'),
            app.setting('odyssey.justification'), app.request_id(), session_user);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION audit.capture_row() IS 'AFTER row trigger: appends the change (before/after) to the audit trail; TG_ARGV[0] names the key column.';

CREATE OR REPLACE FUNCTION audit.capture_statement()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_key    text := TG_ARGV[0];
    v_entity text := TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME;
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO audit.audit_log (actor_user_id, actor_role, vendor_id, action, entity, entity_id,
                                     before, after, ip, ua, justification, request_id, db_role)
        SELECT app.current_user_id(), app.current_app_role(), n.vendor_id, 'insert', v_entity,
               pg_catalog.to_jsonb(n) ->> v_key, NULL, pg_catalog.to_jsonb(n), audit.client_ip(),
               app.setting('odyssey.ua'), app.setting('odyssey.justification'), app.request_id(), session_user
          FROM new_rows n;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO audit.audit_log (actor_user_id, actor_role, vendor_id, action, entity, entity_id,
                                     before, after, ip, ua, justification, request_id, db_role)
        SELECT app.current_user_id(), app.current_app_role(), n.vendor_id, 'update', v_entity,
               n.k, o.j, n.j, audit.client_ip(),
               app.setting('odyssey.ua'), app.setting('odyssey.justification'), app.request_id(), session_user
          FROM (SELECT r.vendor_id, pg_catalog.to_jsonb(r) ->> v_key AS k, pg_catalog.to_jsonb(r) AS j FROM new_rows r) n
          LEFT JOIN (SELECT r.vendor_id, pg_catalog.to_jsonb(r) ->> v_key AS k, pg_catalog.to_jsonb(r) AS j FROM old_rows r) o
            ON o.vendor_id = n.vendor_id AND o.k = n.k;
    ELSE
        INSERT INTO audit.audit_log (actor_user_id, actor_role, vendor_id, action, entity, entity_id,
                                     before, after, ip, ua, justification, request_id, db_role)
        SELECT app.current_user_id(), app.current_app_role(), o.vendor_id, 'delete', v_entity,
               pg_catalog.to_jsonb(o) ->> v_key, pg_catalog.to_jsonb(o), NULL, audit.client_ip(),
               app.setting('odyssey.ua'), app.setting('odyssey.justification'), app.request_id(), session_user
          FROM old_rows o;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION audit.capture_statement() IS
  'AFTER statement trigger with transition tables (new_rows/old_rows): appends every changed row to the audit trail in one INSERT.';

COMMIT;
