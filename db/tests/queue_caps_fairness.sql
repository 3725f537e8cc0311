-- Queue: per-vendor concurrency caps and fair round robin between vendors.
BEGIN;
SELECT plan(33);

\ir fixtures/queue_vendors.psql
CREATE TEMP TABLE served (n serial, vendor_id uuid, id bigint);
CREATE TEMP TABLE round1 (id bigint);
GRANT ALL ON served, served_n_seq, round1 TO PUBLIC;

-- Caps: kind 'sleep' allows 2 running jobs per vendor by default.
SET LOCAL ROLE odyssey_worker;
SELECT is((SELECT count(*) FROM queue.enqueue_many('sleep', 'a0000000-0000-4000-8000-00000000000a',
                                                  (SELECT jsonb_agg('{}'::jsonb) FROM generate_series(1, 6)))),
          6::bigint, 'vendor A queues 6 sleep jobs');
SELECT is((SELECT count(*) FROM queue.dequeue('w1', '{sleep}', 10, '30 s')), 2::bigint,
          'a batch of 10 gets 2: the kind''s cap of 2 running jobs per vendor');
SELECT is_empty($$ SELECT * FROM queue.dequeue('w2', '{sleep}', 10, '30 s') $$,
                'another worker gets nothing more of that vendor while 2 run');
SELECT ok(queue.enqueue('sleep', 'b0000000-0000-4000-8000-00000000000b', '{}') > 0, 'vendor B queues one sleep job');
SELECT is((SELECT vendor_id FROM queue.dequeue('w2', '{sleep}', 10, '30 s')), 'b0000000-0000-4000-8000-00000000000b'::uuid,
          'a capped vendor does not block another vendor''s job');
RESET ROLE;
INSERT INTO queue.vendor_caps (vendor_id, kind, max_running) VALUES ('a0000000-0000-4000-8000-00000000000a', 'sleep', 3);
SET LOCAL ROLE odyssey_worker;
SELECT is((SELECT count(*) FROM queue.dequeue('w3', '{sleep}', 10, '30 s')), 1::bigint,
          'a vendor''s own cap (3) overrides the kind''s default: one more job');
SELECT is_empty($$ SELECT * FROM queue.dequeue('w3', '{sleep}', 10, '30 s') $$, 'and not one more');
RESET ROLE;
SELECT is((SELECT count(*) FROM queue.cap_slots WHERE tenant_key = 'a0000000-0000-4000-8000-00000000000a' AND kind = 'sleep'
             AND job_id IS NOT NULL), 3::bigint, 'A''s three running jobs hold its three slots');
CREATE TEMP TABLE arun AS SELECT id, locked_by FROM queue.jobs
 WHERE vendor_id = 'a0000000-0000-4000-8000-00000000000a' AND status = 'running' ORDER BY id;
GRANT SELECT ON arun TO PUBLIC;
SET LOCAL ROLE odyssey_worker;
SELECT ok(queue.complete(id, locked_by), 'one of A''s running jobs completes') FROM (SELECT * FROM arun ORDER BY id LIMIT 1) x;
SELECT is((SELECT count(*) FROM queue.dequeue('w3', '{sleep}', 10, '30 s')), 1::bigint, 'its slot is free again: one more job');
SELECT is(queue.fail(id, locked_by, 'boom'), 'retry', 'one of A''s running jobs fails and is queued for later')
  FROM (SELECT * FROM arun ORDER BY id OFFSET 1 LIMIT 1) x;
SELECT is((SELECT count(*) FROM queue.dequeue('w3', '{sleep}', 10, '30 s')), 1::bigint, 'a failed job gives its slot back too');
RESET ROLE;
UPDATE queue.vendor_caps SET max_running = 0;
UPDATE queue.jobs SET status = 'queued', locked_by = NULL, locked_at = NULL, lease_expires_at = NULL
 WHERE vendor_id = 'a0000000-0000-4000-8000-00000000000a';
SET LOCAL ROLE odyssey_worker;
SELECT is_empty($$ SELECT * FROM queue.dequeue('w3', '{sleep}', 10, '30 s') $$, 'a cap of 0 pauses the vendor''s jobs of that kind');
RESET ROLE;
DELETE FROM queue.jobs;
DELETE FROM queue.vendor_caps;

-- A's running jobs were just deleted outright (not completed): their slots stay taken until the
-- reaper sees that their jobs are gone.
SELECT ok((SELECT count(*) FROM queue.cap_slots WHERE tenant_key = 'a0000000-0000-4000-8000-00000000000a' AND kind = 'sleep'
            AND job_id IS NOT NULL) >= 2, 'jobs deleted outright leave their slots taken');
SET LOCAL ROLE odyssey_worker;
SELECT is((SELECT count(*) FROM queue.enqueue_many('sleep', 'a0000000-0000-4000-8000-00000000000a', '[{}, {}, {}]')), 3::bigint,
          'vendor A queues 3 sleep jobs');
SELECT is_empty($$ SELECT * FROM queue.dequeue('w4', '{sleep}', 10, '30 s') $$, 'with its slots taken by ghosts, A gets nothing');
SELECT is(queue.reap_expired(), 0, 'the reaper finds no expired lease...');
SELECT is((SELECT count(*) FROM queue.dequeue('w4', '{sleep}', 10, '30 s')), 2::bigint,
          '...but frees the ghosts'' slots: A runs up to its cap of 2 again');
RESET ROLE;
DELETE FROM queue.jobs;
INSERT INTO queue.kinds (kind, max_running_per_vendor, description) VALUES ('tap.capped', 1, 'tap');
SET LOCAL ROLE odyssey_worker;
SELECT ok(queue.cancel(queue.enqueue('tap.capped', 'a0000000-0000-4000-8000-00000000000a', '{}')),
          'a job of a new capped kind comes and goes (its slot stays)');
RESET ROLE;
DELETE FROM queue.kinds WHERE kind = 'tap.capped';
SELECT is_empty($$ SELECT FROM queue.cap_slots WHERE kind = 'tap.capped' $$, 'a deleted kind takes its slots along');

-- A worker's round trip is one statement: dequeue first finishes the jobs of p_completed that the
-- worker holds, so a vendor at its cap gets its next jobs in the slots they free. (The jobs deleted
-- outright above leave ghosts in two slots: freed here by hand, as the reaper would.)
DELETE FROM queue.jobs;
UPDATE queue.cap_slots SET job_id = NULL;
SET LOCAL ROLE odyssey_worker;
SELECT is((SELECT count(*) FROM queue.enqueue_many('sleep', 'a0000000-0000-4000-8000-00000000000a', '[{}, {}, {}, {}]')),
          4::bigint, 'vendor A queues 4 sleep jobs (cap 2)');
INSERT INTO round1 SELECT id FROM queue.dequeue('w5', '{sleep}', 10, '30 s');
SELECT is((SELECT count(*) FROM round1), 2::bigint, 'the first round gets 2: A is at its cap');
SELECT is_empty($$ SELECT * FROM queue.dequeue('w6', '{sleep}', 10, '30 s', ARRAY(SELECT id FROM round1)) $$,
                'jobs another worker holds are not finished by naming them: A stays at its cap');
SELECT is((SELECT count(*) FROM queue.dequeue('w5', '{sleep}', 10, '30 s', ARRAY(SELECT id FROM round1))
            WHERE id NOT IN (SELECT id FROM round1)), 2::bigint,
          'the holder''s next round finishes its 2 jobs and gets the 2 left, in the slots they freed');
RESET ROLE;
SELECT is((SELECT count(*) FROM queue.jobs WHERE status = 'running'), 2::bigint,
          'the finished jobs are gone; the 2 new ones run');
DELETE FROM queue.jobs;

-- Fairness. Vendor A has a backlog of 500 and has been served; vendor B then queues one job:
-- the very next single dequeue is B's.
SET LOCAL ROLE odyssey_worker;
SELECT is((SELECT count(*) FROM queue.enqueue_many('noop', 'a0000000-0000-4000-8000-00000000000a',
                                                  (SELECT jsonb_agg(jsonb_build_object('i', g.i)) FROM generate_series(1, 500) AS g(i)))),
          500::bigint, 'vendor A queues a backlog of 500 jobs');
INSERT INTO served (vendor_id, id) SELECT vendor_id, id FROM queue.dequeue('w', '{noop}', 1, '30 s');
INSERT INTO served (vendor_id, id) SELECT vendor_id, id FROM queue.dequeue('w', '{noop}', 1, '30 s');
INSERT INTO served (vendor_id, id) SELECT vendor_id, id FROM queue.dequeue('w', '{noop}', 1, '30 s');
SELECT ok(queue.enqueue('noop', 'b0000000-0000-4000-8000-00000000000b', '{"b": 1}') > 0, 'vendor B queues one job behind A''s backlog');
INSERT INTO served (vendor_id, id) SELECT vendor_id, id FROM queue.dequeue('w', '{noop}', 1, '30 s');
SELECT is((SELECT vendor_id FROM served ORDER BY n DESC LIMIT 1), 'b0000000-0000-4000-8000-00000000000b'::uuid,
          'the next single dequeue serves B (least recently served), not A''s 497 older jobs');

-- Round robin in a batch: B and the platform queue 3 jobs each behind A's backlog; a batch of 9
-- gets 3 from each tenant.
SELECT ok((SELECT count(*) FROM queue.enqueue_many('noop', 'b0000000-0000-4000-8000-00000000000b',
                                                  '[{}, {}, {}]')) = 3
          AND (SELECT count(*) FROM queue.enqueue_many('noop', NULL, '[{}, {}, {}]')) = 3,
          'B and the platform queue 3 jobs each');
SELECT results_eq($$ SELECT tenant_key, count(*) FROM queue.dequeue('w', '{noop}', 9, '30 s') GROUP BY 1 ORDER BY 1 $$,
                  $$ VALUES ('00000000-0000-0000-0000-000000000000'::uuid, 3::bigint),
                            ('a0000000-0000-4000-8000-00000000000a'::uuid, 3::bigint),
                            ('b0000000-0000-4000-8000-00000000000b'::uuid, 3::bigint) $$,
                  'a batch is shared round robin between the tenants that wait');
-- A short tenant leaves its share to the others: a batch of 10 with B empty gets 10 from A.
SELECT is((SELECT count(*) FROM queue.dequeue('w', '{noop}', 10, '30 s') WHERE vendor_id = 'a0000000-0000-4000-8000-00000000000a'),
          10::bigint, 'a batch is filled from the tenants that still have jobs');
-- Single dequeues alternate between two vendors with backlogs.
SELECT ok(queue.enqueue('noop', 'b0000000-0000-4000-8000-00000000000b', '{}') > 0
          AND queue.enqueue('noop', 'b0000000-0000-4000-8000-00000000000b', '{}') > 0, 'B queues two more');
DELETE FROM served;
INSERT INTO served (vendor_id, id) SELECT vendor_id, id FROM queue.dequeue('w', '{noop}', 1, '30 s');
INSERT INTO served (vendor_id, id) SELECT vendor_id, id FROM queue.dequeue('w', '{noop}', 1, '30 s');
INSERT INTO served (vendor_id, id) SELECT vendor_id, id FROM queue.dequeue('w', '{noop}', 1, '30 s');
INSERT INTO served (vendor_id, id) SELECT vendor_id, id FROM queue.dequeue('w', '{noop}', 1, '30 s');
SELECT is((SELECT array_agg(left(vendor_id::text, 1) ORDER BY n) FROM served), ARRAY['b', 'a', 'b', 'a'],
          'successive single dequeues alternate between the vendors (round robin)');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
