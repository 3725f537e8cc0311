-- Revert odyssey:schema/audit from pg
BEGIN;
DROP TABLE audit.audit_log;
DROP FUNCTION audit.forbid_change();
COMMIT;
