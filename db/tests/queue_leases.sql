-- Queue: leases, heartbeats (only the holder), expiry and reaping, cancel, release.
BEGIN;
SELECT plan(21);

\ir fixtures/queue_vendors.psql
CREATE TEMP TABLE ids (name text PRIMARY KEY, id bigint);
GRANT ALL ON ids TO PUBLIC;

SET LOCAL ROLE odyssey_worker;
INSERT INTO ids SELECT 'j', queue.enqueue('sleep', 'a0000000-0000-4000-8000-00000000000a', '{}', 0, NULL, NULL, 2);
INSERT INTO ids SELECT 'held', id FROM queue.dequeue('w1', '{sleep}', 1, '10 s');
SELECT is((SELECT id FROM ids WHERE name = 'held'), (SELECT id FROM ids WHERE name = 'j'), 'w1 holds the job');
SELECT is(queue.heartbeat((SELECT id FROM ids WHERE name = 'j'), 'w1', '5 min'), true, 'the holder''s heartbeat succeeds');
RESET ROLE;
SELECT is((SELECT lease_expires_at FROM queue.jobs WHERE id = (SELECT id FROM ids WHERE name = 'j')), now() + interval '5 min',
          'the heartbeat extended the lease');
SET LOCAL ROLE odyssey_worker;
SELECT is(queue.heartbeat((SELECT id FROM ids WHERE name = 'j'), 'w2', '1 hour'), false, 'another worker''s heartbeat is refused');
RESET ROLE;
SELECT is((SELECT lease_expires_at FROM queue.jobs WHERE id = (SELECT id FROM ids WHERE name = 'j')), now() + interval '5 min',
          'and leaves the lease alone');
SET LOCAL ROLE odyssey_worker;
SELECT is(queue.reap_expired(), 0, 'a live lease is not reaped');

-- The worker dies: its lease runs out.
RESET ROLE;
UPDATE queue.jobs SET lease_expires_at = now() - interval '1 second' WHERE id = (SELECT id FROM ids WHERE name = 'j');
SET LOCAL ROLE odyssey_worker;
SELECT is(queue.reap_expired(), 1, 'the expired lease is reaped');
RESET ROLE;
SELECT is((SELECT (status, locked_by, attempts, run_at <= now(), last_error) FROM queue.jobs WHERE id = (SELECT id FROM ids WHERE name = 'j')),
          ROW('queued'::text, NULL::text, 1::smallint, true, 'lease expired (worker w1)'::text),
          'the job is queued again at once, the attempt counted, the reason recorded');
SET LOCAL ROLE odyssey_worker;
SELECT is((SELECT id FROM queue.dequeue('w2', '{sleep}', 1, '10 s')), (SELECT id FROM ids WHERE name = 'j'),
          'another worker takes it over');
SELECT is(queue.complete((SELECT id FROM ids WHERE name = 'j'), 'w1'), false, 'the dead worker''s late completion is refused');
SELECT is(queue.heartbeat((SELECT id FROM ids WHERE name = 'j'), 'w1', '10 s'), false, 'and so is its heartbeat');
-- Second expiry: max_attempts = 2 reached, so the reaper buries it.
RESET ROLE;
UPDATE queue.jobs SET lease_expires_at = now() - interval '1 second' WHERE id = (SELECT id FROM ids WHERE name = 'j');
SET LOCAL ROLE odyssey_worker;
SELECT is(queue.reap_expired(), 1, 'the second expired lease is reaped');
RESET ROLE;
SELECT is((SELECT (attempts, jsonb_array_length(errors)) FROM queue.dead_letters WHERE id = (SELECT id FROM ids WHERE name = 'j')),
          ROW(2::smallint, 2), 'out of attempts, it is dead-lettered with both errors');
SELECT ok(NOT EXISTS (SELECT FROM queue.jobs WHERE id = (SELECT id FROM ids WHERE name = 'j')), 'and gone from the queue');

-- Cancel: a queued job disappears; a running one is flagged and its heartbeat says stop.
SET LOCAL ROLE odyssey_worker;
INSERT INTO ids SELECT 'q', queue.enqueue('sleep', 'a0000000-0000-4000-8000-00000000000a', '{}', 0, NULL, 'cancel-me');
SELECT is(queue.cancel('sleep', 'a0000000-0000-4000-8000-00000000000a', 'cancel-me'), true, 'cancel by dedupe key');
SELECT is_empty($$ SELECT * FROM queue.dequeue('w1', '{sleep}', 1, '10 s') $$, 'a canceled queued job is never handed out');
INSERT INTO ids SELECT 'r', queue.enqueue('sleep', 'a0000000-0000-4000-8000-00000000000a', '{}');
SELECT is((SELECT count(*) FROM queue.dequeue('w1', '{sleep}', 1, '10 s')), 1::bigint, 'a job is running');
SELECT is(queue.cancel((SELECT id FROM ids WHERE name = 'r')), true, 'cancel the running job');
SELECT is(queue.heartbeat((SELECT id FROM ids WHERE name = 'r'), 'w1', '10 s'), false, 'the holder''s next heartbeat says stop');
-- Release: a worker shutting down hands a job back without spending an attempt.
INSERT INTO ids SELECT 'rel', queue.enqueue('noop', NULL, '{}');
SELECT ok(queue.release(id, 'w1'), 'release') FROM queue.dequeue('w1', '{noop}', 1, '10 s');
RESET ROLE;
SELECT is((SELECT (status, attempts) FROM queue.jobs WHERE id = (SELECT id FROM ids WHERE name = 'rel')),
          ROW('queued'::text, 0::smallint), 'a released job is queued again with its attempt given back');

SELECT * FROM finish();
ROLLBACK;
