-- Queue: tenant isolation. RLS enabled and forced on every queue table; vendor roles see only
-- their own vendor's jobs and dead letters, enqueue and cancel only for their own vendor, and
-- cannot run the worker protocol; the worker operates only through the functions.
BEGIN;
SELECT plan(26);

\ir fixtures/queue_vendors.psql
CREATE TEMP TABLE ids (name text PRIMARY KEY, id bigint);
GRANT ALL ON ids TO PUBLIC;

SELECT is((SELECT count(*) FROM pg_class WHERE relnamespace = 'queue'::regnamespace AND relkind = 'r'
             AND relname IN ('jobs', 'dead_letters', 'vendor_caps', 'vendor_turns', 'cap_slots') AND relrowsecurity AND relforcerowsecurity),
          5::bigint, 'RLS is enabled and forced on jobs, dead_letters, vendor_caps, vendor_turns and cap_slots');
SELECT is_empty($$ SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'queue'::regnamespace AND c.relkind = 'r'
                     AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname IN ('vendor_id', 'tenant_key'))
                     AND NOT (c.relrowsecurity AND c.relforcerowsecurity) $$,
                'no queue table with tenant data lacks forced RLS');

SET LOCAL ROLE odyssey_worker;
INSERT INTO ids SELECT 'a', queue.enqueue('noop', 'a0000000-0000-4000-8000-00000000000a', '{"secret": "A"}');
INSERT INTO ids SELECT 'b', queue.enqueue('noop', 'b0000000-0000-4000-8000-00000000000b', '{"secret": "B"}');
INSERT INTO ids SELECT 'p', queue.enqueue('noop', NULL, '{"secret": "platform"}');
INSERT INTO ids SELECT 'bdead', queue.enqueue('sleep', 'b0000000-0000-4000-8000-00000000000b', '{"secret": "B"}');
SELECT is(queue.fail(id, 'w', 'x', false), 'dead', 'one of B''s jobs is dead-lettered') FROM queue.dequeue('w', '{sleep}', 1, '30 s');
-- The worker itself has no direct access to the tables.
SELECT throws_ok($$ SELECT count(*) FROM queue.jobs $$, '42501', NULL, 'the worker cannot read queue.jobs directly');
SELECT throws_ok($$ DELETE FROM queue.jobs $$, '42501', NULL, 'nor delete from it');
RESET ROLE;

-- Vendor roles acting in vendor A.
SELECT set_config('odyssey.vendor_id', 'a0000000-0000-4000-8000-00000000000a', true);
SET LOCAL ROLE odyssey_vendor_admin;
SELECT results_eq($$ SELECT payload->>'secret' FROM queue.jobs $$, $$ VALUES ('A') $$,
                  'vendor_admin of A sees A''s job only (not B''s, not the platform''s)');
SELECT is_empty($$ SELECT * FROM queue.dead_letters $$, 'nor B''s dead letters');
SELECT is(queue.cancel((SELECT id FROM ids WHERE name = 'b')), false, 'A cannot cancel B''s job (it does not exist for A)');
SELECT is(queue.cancel((SELECT id FROM ids WHERE name = 'p')), false, 'nor a platform job');
SELECT throws_ok($$ SELECT queue.enqueue('noop', 'b0000000-0000-4000-8000-00000000000b', '{}') $$, '42501', NULL,
                 'A cannot enqueue a job for B');
SELECT throws_ok($$ SELECT queue.enqueue('noop', NULL, '{}') $$, '42501', NULL, 'nor a platform job');
SELECT throws_ok($$ SELECT queue.cancel('noop', 'b0000000-0000-4000-8000-00000000000b', 'k') $$, '42501', NULL,
                 'nor cancel by B''s dedupe key');
SELECT ok(queue.enqueue('noop', 'a0000000-0000-4000-8000-00000000000a', '{"mine": true}') > 0, 'A enqueues for itself');
SELECT throws_ok($$ SELECT * FROM queue.dequeue('x', '{noop}', 10, '30 s') $$, '42501', NULL, 'a vendor role cannot dequeue');
SELECT throws_ok($$ SELECT queue.complete(1, 'x') $$, '42501', NULL, 'nor complete');
SELECT throws_ok($$ SELECT queue.reap_expired() $$, '42501', NULL, 'nor reap');
SELECT throws_ok($$ SELECT * FROM queue.stats() $$, '42501', NULL, 'nor read cross-vendor queue stats');
SELECT throws_ok($$ UPDATE queue.jobs SET priority = 1000 $$, '42501', NULL, 'nor write the jobs table');
SELECT throws_ok($$ INSERT INTO queue.vendor_caps VALUES ('a0000000-0000-4000-8000-00000000000a', 'noop', 100) $$, '42501', NULL,
                 'a vendor admin cannot raise its own cap');
RESET ROLE;
SET LOCAL ROLE odyssey_vendor_viewer;
SELECT throws_ok($$ SELECT count(*) FROM queue.jobs $$, '42501', NULL, 'vendor_viewer does not read jobs');
SELECT throws_ok($$ SELECT queue.enqueue('noop', 'a0000000-0000-4000-8000-00000000000a', '{}') $$, '42501', NULL,
                 'vendor_viewer cannot enqueue');
RESET ROLE;
SET LOCAL ROLE odyssey_vendor_operator;
SELECT is(queue.cancel((SELECT id FROM ids WHERE name = 'a')), true, 'an operator of A cancels A''s job');
RESET ROLE;

-- No vendor context: nothing visible.
SELECT set_config('odyssey.vendor_id', '', true);
SET LOCAL ROLE odyssey_vendor_admin;
SELECT is_empty($$ SELECT * FROM queue.jobs $$, 'without odyssey.vendor_id a vendor role sees no job');
RESET ROLE;
SELECT set_config('odyssey.vendor_id', 'b0000000-0000-4000-8000-00000000000b', true);
SET LOCAL ROLE odyssey_superadmin;
SELECT results_eq($$ SELECT payload->>'secret' FROM queue.dead_letters $$, $$ VALUES ('B') $$,
                  'a superadmin acting in B sees B''s dead letters');
RESET ROLE;
-- The owner outside the queue functions is held by tenant isolation too (no queue scope).
SET LOCAL ROLE odyssey_owner;
SELECT set_config('odyssey.vendor_id', '', true);
SELECT is_empty($$ SELECT * FROM queue.jobs $$, 'the owner outside the queue functions sees no job');
SELECT set_config('odyssey.queue_scope', 'machinery', true);
RESET ROLE;
SET LOCAL ROLE odyssey_vendor_admin;
SELECT is_empty($$ SELECT * FROM queue.jobs $$, 'setting the queue scope does not open the tables to a vendor role');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
