-- Verify odyssey:schema/queue_slots_unkeyed on pg
SELECT 1/(NOT EXISTS (SELECT FROM pg_catalog.pg_constraint
                       WHERE conrelid = 'queue.cap_slots'::regclass AND contype = 'f'))::int;
SELECT 1/count(*)::int FROM pg_catalog.pg_trigger WHERE tgrelid = 'queue.kinds'::regclass AND tgname = 'kinds_slots_gone';
