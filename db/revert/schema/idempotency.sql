-- Revert odyssey:schema/idempotency from pg
BEGIN;
DROP TABLE ops.idempotency_keys;
COMMIT;
