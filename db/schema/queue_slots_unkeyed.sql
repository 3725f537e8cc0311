-- Deploy odyssey:schema/queue_slots_unkeyed to pg
-- requires: functions/queue
-- queue.cap_slots.kind loses its foreign key to queue.kinds. A worker completes its jobs and
-- dequeues the next ones in one transaction, so each slot it takes was last written by that same
-- transaction, and PostgreSQL then runs the foreign key check for every slot taken (100 SPI
-- queries per batch of 100 jobs). Slots are only ever created by queue.ensure_slots for a kind
-- that exists, and a deleted kind takes its slots along (trigger kinds_slots_gone,
-- functions/queue).
BEGIN;

ALTER TABLE queue.cap_slots DROP CONSTRAINT cap_slots_kind_fkey;
COMMENT ON COLUMN queue.cap_slots.kind IS 'A queue.kinds kind (no foreign key: see schema/queue_slots_unkeyed; trigger kinds_slots_gone removes the slots of a deleted kind).';

COMMIT;
