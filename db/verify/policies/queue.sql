-- Verify odyssey:policies/queue on pg
SELECT 1/(relrowsecurity AND relforcerowsecurity)::int FROM pg_catalog.pg_class
 WHERE oid IN ('queue.jobs'::regclass, 'queue.dead_letters'::regclass, 'queue.vendor_caps'::regclass, 'queue.vendor_turns'::regclass, 'queue.cap_slots'::regclass);
SELECT 1/count(*)::int FROM pg_catalog.pg_policy WHERE polrelid = 'queue.jobs'::regclass AND polname = 'queue_machinery';
