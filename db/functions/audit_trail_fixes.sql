-- Deploy odyssey:functions/audit_trail_fixes to pg
-- requires: functions/audit_trail
-- requires: policies/audit
-- Fixes found by db/tests/audit_trail.sql:
--   * row triggers of partitioned tables (products, customers) fire on the hash leaf, so the
--     audit entity was 'partitions.products_<vendor>_hNN'; it is now the partition root
--     ('catalog.products'), as for every other entity.
--   * audit.record() let any vendor role append events to another vendor's trail (p_vendor_id);
--     now only the current vendor, unless superadmin.
BEGIN;

CREATE OR REPLACE FUNCTION audit.record(p_action text, p_entity text, p_entity_id text,
                                        p_vendor_id uuid DEFAULT NULL, p_before jsonb DEFAULT NULL,
                                        p_after jsonb DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_id bigint;
BEGIN
    -- A tenant writes only into its own trail: an event for another vendor would show up in that
    -- vendor's audit log. Superadmins (break-glass, platform events) may name any vendor.
    IF p_vendor_id IS DISTINCT FROM app.current_vendor_id() AND p_vendor_id IS NOT NULL AND NOT app.is_superadmin() THEN
        RAISE EXCEPTION 'audit events can only be recorded for the current vendor'
              USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO audit.audit_log (actor_user_id, actor_role, vendor_id, action, entity, entity_id,
                                 before, after, ip, ua, justification, request_id, db_role)
    VALUES (app.current_user_id(), app.current_app_role(),
            coalesce(p_vendor_id, app.current_vendor_id()), p_action, p_entity, p_entity_id,
            p_before, p_after, audit.client_ip(), app.setting('odyssey.ua'),
            app.setting('odyssey.justification'), app.request_id(), session_user)
    RETURNING id INTO v_id;
    RETURN v_id;
END
$$;
COMMENT ON FUNCTION audit.record(text, text, text, uuid, jsonb, jsonb) IS
  'Appends one audit event in the current request context (only for the current vendor unless superadmin); returns its id.';

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
    -- Row triggers of a partitioned table fire on the leaf: name the table the rows belong to.
    v_entity text := coalesce(pg_catalog.pg_partition_root(TG_RELID), TG_RELID)::regclass::text;
BEGIN
    IF TG_OP = 'UPDATE' AND v_new ? 'soft_deleted_at'
       AND (v_old ->> 'soft_deleted_at') IS DISTINCT FROM (v_new ->> 'soft_deleted_at') THEN
        v_action := CASE WHEN v_new ->> 'soft_deleted_at' IS NULL THEN 'restore' ELSE 'soft_delete' END;
    END IF;
    INSERT INTO audit.audit_log (actor_user_id, actor_role, vendor_id, action, entity, entity_id,
                                 before, after, ip, ua, justification, request_id, db_role)
    VALUES (app.current_user_id(), app.current_app_role(),
            coalesce(v_new ->> 'vendor_id', v_old ->> 'vendor_id')::uuid, v_action,
            v_entity, coalesce(v_new, v_old) ->> v_key,
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
    v_entity text := coalesce(pg_catalog.pg_partition_root(TG_RELID), TG_RELID)::regclass::text;
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
