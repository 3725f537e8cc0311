-- Deploy odyssey:schema/audit to pg
-- requires: schema/core
-- The audit trail (PRD §2.3, §4.2, §8.2): append-only. Rows are written only by definer-rights
-- functions (audit.record and the audit triggers); UPDATE, DELETE and TRUNCATE are refused for
-- every role, the owner included. Retention is 6 years (HIPAA).
BEGIN;

CREATE TABLE audit.audit_log (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    timestamp      timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_user_id  text,
    actor_role     text,
    vendor_id      uuid,
    action         text        NOT NULL CHECK (action ~ '^[a-z][a-z0-9_.]*$'),
    entity         text        NOT NULL,
    entity_id      text,
    before         jsonb,
    after          jsonb,
    ip             inet,
    ua             text,
    justification  text,
    request_id     text,
    db_role        text        NOT NULL DEFAULT current_user
);
COMMENT ON TABLE audit.audit_log IS 'Append-only audit trail; who (user, role, db role), where (ip, ua, request), what (entity, before/after).';
CREATE INDEX audit_log_vendor_time_idx ON audit.audit_log (vendor_id, timestamp DESC);
CREATE INDEX audit_log_entity_idx ON audit.audit_log (entity, entity_id);
CREATE INDEX audit_log_actor_idx ON audit.audit_log (actor_user_id, timestamp DESC);

CREATE OR REPLACE FUNCTION audit.forbid_change()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
          USING ERRCODE = 'insufficient_privilege';
END
$$;
COMMENT ON FUNCTION audit.forbid_change() IS 'Refuses UPDATE, DELETE and TRUNCATE on the audit trail.';

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit.audit_log
    FOR EACH ROW EXECUTE FUNCTION audit.forbid_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit.forbid_change();

COMMIT;
