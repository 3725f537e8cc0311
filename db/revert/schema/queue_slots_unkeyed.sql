-- Revert odyssey:schema/queue_slots_unkeyed from pg: the foreign key again (slots of unknown kinds removed first).
BEGIN;

DELETE FROM queue.cap_slots cs WHERE NOT EXISTS (SELECT FROM queue.kinds k WHERE k.kind = cs.kind);
ALTER TABLE queue.cap_slots ADD CONSTRAINT cap_slots_kind_fkey FOREIGN KEY (kind) REFERENCES queue.kinds (kind) ON DELETE CASCADE;
COMMENT ON COLUMN queue.cap_slots.kind IS NULL;

COMMIT;
