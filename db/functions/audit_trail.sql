-- Deploy odyssey:functions/audit_trail to pg
-- requires: schema/audit
-- requires: schema/health
-- requires: schema/matching
-- requires: schema/webhooks
-- requires: schema/idempotency
-- What is audited from day one, and how. Actor, role, vendor, request id, ip, user agent and
-- justification come from the transaction's settings (functions/app_context).
--   * health profile inserts and updates: statement-level triggers with transition tables (a 1M-row
--     ingest is one INSERT ... SELECT into the trail, not a million trigger calls); deletes: row
--     triggers, which also fire on the leaf when a customer delete cascades
--   * user_links and platform_admins changes: row triggers
--   * deletes of products and customers, hard (DELETE) and soft (soft_deleted_at set or cleared)
--   * audit.record(): for events that are not row changes (health reads, break-glass, authz);
--     only into the current vendor's trail (or any, for a superadmin).
-- The entity of a row change is its table's partition root (e.g. catalog.products), never a leaf.
BEGIN;

CREATE OR REPLACE FUNCTION audit.client_ip()
RETURNS inet
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN v ~ '^[0-9a-fA-F:.]+(/[0-9]+)?$' THEN v::inet END
      FROM nullif(pg_catalog.current_setting('odyssey.ip', true), '') AS v
$$;
COMMENT ON FUNCTION audit.client_ip() IS 'The client ip of the current request (odyssey.ip), NULL when unset or malformed.';

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

CREATE TRIGGER health_profiles_audit_insert AFTER INSERT ON health.customer_health_profiles
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_statement('customer_id');
CREATE TRIGGER health_profiles_audit_update AFTER UPDATE ON health.customer_health_profiles
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_statement('customer_id');
-- Deletes are row-level: a customer's hard delete cascades (per-vendor foreign key) straight into
-- the vendor's leaf, where only row triggers (cloned from the parent) fire.
CREATE TRIGGER health_profiles_audit_delete AFTER DELETE ON health.customer_health_profiles
    FOR EACH ROW EXECUTE FUNCTION audit.capture_row('customer_id');

CREATE TRIGGER user_links_audit AFTER INSERT OR UPDATE OR DELETE ON core.user_links
    FOR EACH ROW EXECUTE FUNCTION audit.capture_row('id');
CREATE TRIGGER platform_admins_audit AFTER INSERT OR UPDATE OR DELETE ON core.platform_admins
    FOR EACH ROW EXECUTE FUNCTION audit.capture_row('user_id');

CREATE TRIGGER products_audit_delete AFTER DELETE ON catalog.products
    FOR EACH ROW EXECUTE FUNCTION audit.capture_row('id');
CREATE TRIGGER products_audit_soft_delete AFTER UPDATE OF soft_deleted_at ON catalog.products
    FOR EACH ROW WHEN (OLD.soft_deleted_at IS DISTINCT FROM NEW.soft_deleted_at)
    EXECUTE FUNCTION audit.capture_row('id');
CREATE TRIGGER customers_audit_delete AFTER DELETE ON crm.customers
    FOR EACH ROW EXECUTE FUNCTION audit.capture_row('id');
CREATE TRIGGER customers_audit_soft_delete AFTER UPDATE OF soft_deleted_at ON crm.customers
    FOR EACH ROW WHEN (OLD.soft_deleted_at IS DISTINCT FROM NEW.soft_deleted_at)
    EXECUTE FUNCTION audit.capture_row('id');

GRANT EXECUTE ON FUNCTION audit.record(text, text, text, uuid, jsonb, jsonb)
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer, odyssey_worker;

COMMIT;
