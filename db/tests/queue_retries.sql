-- Queue: failures, exponential backoff with jitter (bounds), dead letters, retrying a dead letter.
-- Kind 'sleep': backoff_base 1 s, backoff_cap 1 min.
BEGIN;
SELECT plan(18);

\ir fixtures/queue_vendors.psql
CREATE TEMP TABLE ids (name text PRIMARY KEY, id bigint);
GRANT ALL ON ids TO PUBLIC;
UPDATE queue.kinds SET backoff_base = '1 second', backoff_cap = '1 minute' WHERE kind = 'sleep';

-- The delay formula over many draws: within [0.5, 1] x min(cap, base * 2^(attempt-1)), and jittered.
SELECT ok((SELECT bool_and(d BETWEEN interval '4 seconds' AND interval '8 seconds')
             FROM (SELECT queue.backoff_delay(4, '1 second', '1 minute') AS d FROM generate_series(1, 500)) s),
          'attempt 4: the delay lies between 4 s and 8 s (base 1 s x 2^3, jitter [0.5, 1])');
SELECT ok((SELECT count(DISTINCT d) > 400 FROM (SELECT queue.backoff_delay(4, '1 second', '1 minute') AS d FROM generate_series(1, 500)) s),
          'the delay is jittered (draws differ)');
SELECT ok((SELECT bool_and(d BETWEEN interval '30 seconds' AND interval '60 seconds')
             FROM (SELECT queue.backoff_delay(20, '1 second', '1 minute') AS d FROM generate_series(1, 500)) s),
          'attempt 20: the delay is capped (between half the cap and the cap)');
SELECT ok(queue.backoff_delay(100, '10 seconds', '15 minutes') <= interval '15 minutes', 'a huge attempt number does not overflow');

SET LOCAL ROLE odyssey_worker;
INSERT INTO ids SELECT 'j', queue.enqueue('sleep', 'a0000000-0000-4000-8000-00000000000a', '{}', 0, NULL, NULL, 3);
SELECT is((SELECT count(*) FROM queue.dequeue('w1', '{sleep}', 1, '30 s')), 1::bigint, 'attempt 1 is handed out');
SELECT is(queue.fail((SELECT id FROM ids WHERE name = 'j'), 'w2', 'not mine'), NULL, 'a worker cannot fail a job it does not hold');
SELECT is(queue.fail((SELECT id FROM ids WHERE name = 'j'), 'w1', 'boom 1'), 'retry', 'the first failure is retried');
RESET ROLE;
SELECT ok((SELECT status = 'queued' AND run_at - now() BETWEEN interval '0.5 second' AND interval '1 second'
                  AND locked_by IS NULL AND last_error = 'boom 1'
             FROM queue.jobs WHERE id = (SELECT id FROM ids WHERE name = 'j')),
          'after attempt 1 it waits base x [0.5, 1] = 0.5..1 s, unlocked, with its error');
SET LOCAL ROLE odyssey_worker;
SELECT is_empty($$ SELECT * FROM queue.dequeue('w1', '{sleep}', 1, '30 s') $$, 'it is not handed out before its backoff ends');
RESET ROLE;
UPDATE queue.jobs SET run_at = now() WHERE id = (SELECT id FROM ids WHERE name = 'j');
SET LOCAL ROLE odyssey_worker;
SELECT is((SELECT attempts FROM queue.dequeue('w1', '{sleep}', 1, '30 s')), 2::smallint, 'attempt 2 is handed out when due');
SELECT is(queue.fail((SELECT id FROM ids WHERE name = 'j'), 'w1', 'boom 2'), 'retry', 'the second failure is retried');
RESET ROLE;
SELECT ok((SELECT run_at - now() BETWEEN interval '1 second' AND interval '2 seconds'
             FROM queue.jobs WHERE id = (SELECT id FROM ids WHERE name = 'j')),
          'after attempt 2 it waits 1..2 s (exponential)');
UPDATE queue.jobs SET run_at = now() WHERE id = (SELECT id FROM ids WHERE name = 'j');
SET LOCAL ROLE odyssey_worker;
SELECT is((SELECT attempts FROM queue.dequeue('w1', '{sleep}', 1, '30 s')), 3::smallint, 'attempt 3 (the last) is handed out');
SELECT is(queue.fail((SELECT id FROM ids WHERE name = 'j'), 'w1', 'boom 3'), 'dead', 'the last failure dead-letters the job');
RESET ROLE;
SELECT is((SELECT (attempts, last_error, errors->0->>'error', errors->2->>'error', errors->2->>'worker')
             FROM queue.dead_letters WHERE id = (SELECT id FROM ids WHERE name = 'j')),
          ROW(3::smallint, 'boom 3'::text, 'boom 1'::text, 'boom 3'::text, 'w1'::text),
          'the dead letter keeps every attempt''s error');

-- A permanent failure goes straight to the dead letters; retry_dead_letter brings a job back.
SET LOCAL ROLE odyssey_worker;
INSERT INTO ids SELECT 'p', queue.enqueue('sleep', 'b0000000-0000-4000-8000-00000000000b', '{}');
SELECT is(queue.fail(id, 'w1', 'malformed file', false), 'dead', 'a permanent failure is not retried')
  FROM queue.dequeue('w1', '{sleep}', 1, '30 s');
SELECT is(queue.retry_dead_letter((SELECT id FROM ids WHERE name = 'p')), (SELECT id FROM ids WHERE name = 'p'),
          'a dead letter can be queued again under its id');
RESET ROLE;
SELECT is((SELECT (status, attempts, jsonb_array_length(errors)) FROM queue.jobs WHERE id = (SELECT id FROM ids WHERE name = 'p')),
          ROW('queued'::text, 0::smallint, 1), 'queued with fresh attempts and its error history');

SELECT * FROM finish();
ROLLBACK;
