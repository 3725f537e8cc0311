-- Queue: enqueue, deduplication, dequeue (single and batch), priorities, run_at, complete.
BEGIN;
SELECT plan(29);

\ir fixtures/queue_vendors.psql
CREATE TEMP TABLE ids (name text PRIMARY KEY, id bigint);
CREATE TEMP TABLE got1 (LIKE queue.jobs);
CREATE TEMP TABLE got2 (LIKE queue.jobs);
GRANT ALL ON ids, got1, got2 TO PUBLIC;

SET LOCAL ROLE odyssey_worker;
INSERT INTO ids VALUES ('a1', queue.enqueue('noop', 'a0000000-0000-4000-8000-00000000000a', '{"n": 1}', 0, NULL, 'key-1'));
INSERT INTO ids VALUES ('a1-again', queue.enqueue('noop', 'a0000000-0000-4000-8000-00000000000a', '{"n": 2}', 0, NULL, 'key-1'));
INSERT INTO ids VALUES ('b1', queue.enqueue('noop', 'b0000000-0000-4000-8000-00000000000b', '{"n": 3}', 0, NULL, 'key-1'));
INSERT INTO ids VALUES ('p1', queue.enqueue('noop', NULL, '{"n": 4}', 0, NULL, 'key-1'));
INSERT INTO ids VALUES ('a1-sleep', queue.enqueue('sleep', 'a0000000-0000-4000-8000-00000000000a', '{}', 0, NULL, 'key-1'));
RESET ROLE;

SELECT ok((SELECT id FROM ids WHERE name = 'a1') > 0, 'enqueue returns the new job id');
SELECT is((SELECT id FROM ids WHERE name = 'a1-again'), (SELECT id FROM ids WHERE name = 'a1'),
          'the same dedupe key (same vendor, same kind) returns the unfinished job''s id');
SELECT is((SELECT payload FROM queue.jobs WHERE id = (SELECT id FROM ids WHERE name = 'a1')), '{"n": 1}'::jsonb,
          'the deduplicated enqueue did not overwrite the payload');
SELECT is((SELECT count(DISTINCT id) FROM ids WHERE name IN ('a1', 'b1', 'p1', 'a1-sleep')), 4::bigint,
          'dedupe keys are scoped by tenant (vendor A, vendor B, platform) and by kind');
SELECT is((SELECT (status, attempts, locked_by) FROM queue.jobs WHERE id = (SELECT id FROM ids WHERE name = 'p1')),
          ROW('queued'::text, 0::smallint, NULL::text), 'a new job is queued, never attempted, unlocked');

SET LOCAL ROLE odyssey_worker;
SELECT throws_ok($$ SELECT queue.enqueue('no.such.kind', NULL, '{}') $$, 'OD422', NULL, 'an unknown kind is rejected (OD422)');
SELECT throws_ok($$ SELECT queue.enqueue('noop', NULL, '[1, 2]') $$, 'OD422', NULL, 'a payload that is not an object is rejected (OD422)');
SELECT throws_ok($$ SELECT * FROM queue.dequeue('w', '{noop}', 0, '30 s') $$, 'OD400', NULL, 'dequeue of 0 jobs is a bad request');
SELECT throws_ok($$ SELECT * FROM queue.dequeue('w', '{noop}', 1, '0 s') $$, 'OD400', NULL, 'a zero lease is a bad request');

-- Single dequeue: one job, now running, leased, attempt counted.
INSERT INTO got1 SELECT * FROM queue.dequeue('w1', '{noop}', 1, '30 s');
SELECT is((SELECT count(*) FROM got1), 1::bigint, 'a single dequeue returns one job');
SELECT is((SELECT (status, locked_by, attempts, lease_expires_at = now() + interval '30 s') FROM got1),
          ROW('running'::text, 'w1'::text, 1::smallint, true), 'the job is running, held by the worker, leased, attempt 1');
-- Batch: the other two noop jobs (one per tenant left), never the one already held.
INSERT INTO got2 SELECT * FROM queue.dequeue('w2', '{noop}', 10, '30 s');
SELECT is((SELECT count(*) FROM got2), 2::bigint, 'a batch dequeue returns every due job up to n');
SELECT is_empty($$ SELECT id FROM got1 INTERSECT SELECT id FROM got2 $$, 'no job is handed out twice');
SELECT is_empty($$ SELECT * FROM queue.dequeue('w3', '{noop}', 10, '30 s') $$, 'nothing is left to dequeue for that kind');
SELECT is((SELECT count(*) FROM queue.dequeue('w3', '{sleep,noop}', 10, '30 s')), 1::bigint,
          'dequeue takes only the kinds asked for (the sleep job is still there)');

-- Complete: only the holder.
SELECT is(queue.complete((SELECT id FROM got1), 'w2'), false, 'another worker cannot complete a job it does not hold');
SELECT is(queue.complete((SELECT id FROM got1), 'w1'), true, 'the holder completes its job');
SELECT is(queue.complete((SELECT id FROM got1), 'w1'), false, 'completing twice is a no-op');
SELECT is(queue.complete_many(ARRAY(SELECT id FROM got2), 'w2'), 2, 'complete_many finishes the holder''s jobs');
RESET ROLE;
SELECT is((SELECT count(*) FROM queue.jobs WHERE kind = 'noop'), 0::bigint, 'completed jobs are deleted: the table holds unfinished jobs only');

-- After completion the dedupe key is free again.
SET LOCAL ROLE odyssey_worker;
SELECT isnt(queue.enqueue('noop', 'a0000000-0000-4000-8000-00000000000a', '{}', 0, NULL, 'key-1'),
            (SELECT id FROM ids WHERE name = 'a1'), 'a dedupe key is reusable once its job finished');
SELECT is(queue.complete_many(ARRAY(SELECT id FROM queue.dequeue('w9', '{noop}', 10, '30 s')), 'w9'), 1, 'the new job with the reused key is taken and completed');

-- Priorities within a vendor, then run_at, then id; future jobs wait.
SELECT ok(queue.enqueue('noop', 'a0000000-0000-4000-8000-00000000000a', '{"p": "low"}', -5) > 0
      AND queue.enqueue('noop', 'a0000000-0000-4000-8000-00000000000a', '{"p": "high"}', 10) > 0
      AND queue.enqueue('noop', 'a0000000-0000-4000-8000-00000000000a', '{"p": "mid"}', 0) > 0
      AND queue.enqueue('noop', 'a0000000-0000-4000-8000-00000000000a', '{"p": "later"}', 100, now() + interval '1 hour') > 0,
      'jobs of several priorities and a future one are queued');
SELECT is((SELECT payload->>'p' FROM queue.dequeue('w', '{noop}', 1, '30 s')), 'high', 'the highest priority goes first');
SELECT is((SELECT payload->>'p' FROM queue.dequeue('w', '{noop}', 1, '30 s')), 'mid', 'then the next priority');
SELECT is((SELECT payload->>'p' FROM queue.dequeue('w', '{noop}', 1, '30 s')), 'low', 'then the lowest');
SELECT is_empty($$ SELECT * FROM queue.dequeue('w', '{noop}', 1, '30 s') $$,
                'a job whose run_at is in the future is not handed out, whatever its priority');
SELECT ok(queue.next_due('{noop}') = now() + interval '1 hour', 'next_due tells idle workers when to look again');
RESET ROLE;

-- The plan of dequeue does not follow the row estimates of the moment (a queue swings from empty
-- to millions of jobs): it is made without seq scans and explicit sorts, so it walks the indexes.
SELECT ok((SELECT proconfig @> ARRAY['plan_cache_mode=force_generic_plan', 'enable_seqscan=off', 'enable_sort=off']
             FROM pg_proc WHERE oid = 'queue.dequeue(text, text[], integer, interval, bigint[])'::regprocedure),
          'dequeue plans once per session, without seq scans and explicit sorts');

SELECT * FROM finish();
ROLLBACK;
