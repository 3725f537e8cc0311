-- Revert odyssey:schema/queue from pg
BEGIN;
DROP SCHEMA queue CASCADE;
COMMIT;
