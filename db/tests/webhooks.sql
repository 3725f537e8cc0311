-- Webhooks: endpoint validation and its secret (shown once, readable by no role), fan-out of an
-- outbox event into one delivery and one queue job per enabled subscribed endpoint of the vendor,
-- signing in SQL (notes.md: v1=hex(HMAC_SHA256(secret, timestamp || '\n' || body))), outcomes,
-- disabled endpoints, the dead-letter trigger, rotation, deletion, audit, roles and tenants.
BEGIN;
SELECT plan(53);

DO $$
BEGIN
    PERFORM set_config('odyssey.vendor_id', 'a0000000-0000-4000-8000-0000000000c1', true);
    INSERT INTO core.vendors (id, name) VALUES ('a0000000-0000-4000-8000-0000000000c1', 'hooks vendor A');
    PERFORM set_config('odyssey.vendor_id', 'b0000000-0000-4000-8000-0000000000c2', true);
    INSERT INTO core.vendors (id, name) VALUES ('b0000000-0000-4000-8000-0000000000c2', 'hooks vendor B');
    PERFORM set_config('odyssey.vendor_id', '', true);
END
$$;
CREATE TEMP TABLE ids (name text PRIMARY KEY, id uuid, body jsonb);
GRANT ALL ON ids TO PUBLIC;

\ir fixtures/problem_fields.psql

-- 1. Endpoints, as vendor A's admin
SELECT set_config('odyssey.vendor_id', 'a0000000-0000-4000-8000-0000000000c1', true),
       set_config('odyssey.user_id', 'tap-admin-a', true);
SET LOCAL ROLE odyssey_vendor_admin;

SELECT is(pg_temp.problem_fields($$ SELECT api.webhook_create('{"description": "no url"}') $$), ARRAY['url'], 'the url is required');
SELECT is(pg_temp.problem_fields($$ SELECT api.webhook_create('{"url": "http://example.com/hook"}') $$), ARRAY['url'],
          'plain http is refused for a public host');
SELECT is(pg_temp.problem_fields($$ SELECT api.webhook_create('{"url": "https://user@example.com/"}') $$), ARRAY['url'],
          'credentials in the URL are refused');
SELECT is(pg_temp.problem_fields($$ SELECT api.webhook_create('{"url": "https://h.example.com", "event_types": ["job.completed", "job.completed"], "retries_max": 51, "tolerance_sec": 0, "enabled": "yes", "secret": "mine"}') $$),
          ARRAY['enabled', 'event_types', 'retries_max', 'secret', 'tolerance_sec'], 'every bad field is reported together, a given secret too');
SELECT is(pg_temp.problem_fields($$ SELECT api.webhook_create('{"url": "https://h.example.com", "event_types": []}') $$), ARRAY['event_types'],
          'an empty event type list is refused');
SELECT is(pg_temp.problem_fields($$ SELECT api.webhook_create('["https://h.example.com"]') $$), ARRAY[''], 'a body that is not an object');

INSERT INTO ids SELECT 'a1', (b ->> 'id')::uuid, b
  FROM api.webhook_create('{"url": "https://hooks.example.com/a1", "event_types": ["job.completed", "job.failed"], "retries_max": 3}') b;
INSERT INTO ids SELECT 'a2', (b ->> 'id')::uuid, b
  FROM api.webhook_create('{"url": "http://127.0.0.1:9/a2", "event_types": ["job.failed"], "description": "failures only"}') b;
INSERT INTO ids SELECT 'a3', (b ->> 'id')::uuid, b
  FROM api.webhook_create('{"url": "https://hooks.example.com/a3", "enabled": false}') b;
SELECT ok((SELECT body ->> 'secret' ~ '^whsec_[0-9a-f]{64}$' FROM ids WHERE name = 'a1'), 'creation answers a 256-bit secret, once');
SELECT isnt((SELECT body ->> 'secret' FROM ids WHERE name = 'a1'), (SELECT body ->> 'secret' FROM ids WHERE name = 'a2'),
            'each endpoint has its own secret');
SELECT is((SELECT (body -> 'event_types', body -> 'retries_max', body -> 'tolerance_sec')::text FROM ids WHERE name = 'a3'),
          '("[""job.completed"", ""job.failed"", ""product.updated"", ""customer.updated""]",8,300)',
          'defaults: every event type, 8 retries, 300 s tolerance');
SELECT ok(NOT (api.webhook_get((SELECT id FROM ids WHERE name = 'a1')) ? 'secret'), 'a read never shows the secret');
SELECT is(jsonb_array_length(api.webhook_list(NULL, 2) -> 'items'), 2, 'the list pages');
SELECT is(jsonb_array_length(api.webhook_list(api.webhook_list(NULL, 2) ->> 'next_cursor', 2) -> 'items'), 1,
          'the second page holds the rest');
SELECT throws_ok($$ SELECT * FROM hooks.webhook_secrets $$, '42501', NULL, 'a vendor admin cannot read secrets');
SELECT is(api.webhook_update((SELECT id FROM ids WHERE name = 'a2'), '{"description": null}') -> 'description', 'null'::jsonb,
          'a PATCH can clear the description');
SELECT is(pg_temp.problem_fields($$ SELECT api.webhook_update((SELECT id FROM ids WHERE name = 'a2'), '{"url": "ftp://x"}') $$),
          ARRAY['url'], 'a PATCH is validated too');
SELECT throws_ok($$ SELECT api.webhook_get('00000000-0000-4000-8000-000000000000') $$, 'OD404', 'webhook endpoint not found',
                 'an unknown id is not found');
RESET ROLE;

-- 2. Other roles and the other vendor
SET LOCAL ROLE odyssey_vendor_operator;
SELECT throws_ok($$ SELECT api.webhook_list() $$, '42501', NULL, 'an operator may not manage webhooks');
RESET ROLE;
SET LOCAL ROLE odyssey_worker;
SELECT throws_ok($$ SELECT secret FROM hooks.webhook_secrets $$, '42501', NULL, 'nor may the worker read secrets');
RESET ROLE;
SELECT set_config('odyssey.vendor_id', 'b0000000-0000-4000-8000-0000000000c2', true);
SET LOCAL ROLE odyssey_vendor_admin;
INSERT INTO ids SELECT 'b1', (b ->> 'id')::uuid, b
  FROM api.webhook_create('{"url": "https://hooks.example.com/b1"}') b;
SELECT throws_ok(format('SELECT api.webhook_get(%L)', (SELECT id FROM ids WHERE name = 'a1')), 'OD404', 'webhook endpoint not found',
                 'vendor B does not find A''s endpoint');
SELECT throws_ok(format('SELECT api.webhook_rotate_secret(%L)', (SELECT id FROM ids WHERE name = 'a1')), 'OD404', 'webhook endpoint not found',
                 'nor rotate its secret');
SELECT throws_ok(format('SELECT hooks.secret_set(%L)', (SELECT id FROM ids WHERE name = 'a1')), 'OD404', 'webhook endpoint not found',
                 'nor set it through the helper');
SELECT lives_ok(format('SELECT hooks.secret_set(%L)', (SELECT id FROM ids WHERE name = 'b1')),
                'a direct call of the helper on its own endpoint rotates the secret ...');
SELECT is((SELECT count(*) FROM hooks.webhook_endpoints), 1::bigint, 'B sees its own endpoint only');
RESET ROLE;

-- 3. Fan-out: a job.failed event of vendor A
SELECT set_config('odyssey.vendor_id', 'a0000000-0000-4000-8000-0000000000c1', true);
INSERT INTO hooks.events (vendor_id, event_type, data)
VALUES ('a0000000-0000-4000-8000-0000000000c1', 'job.failed', '{"job_id": "11111111-1111-4111-8111-111111111111"}');
INSERT INTO ids SELECT 'event', event_id, to_jsonb(e) FROM hooks.events e WHERE vendor_id = 'a0000000-0000-4000-8000-0000000000c1';
SELECT isnt((SELECT body ->> 'published_at' FROM ids WHERE name = 'event'), NULL, 'the event is published as it is written');
SELECT is(ARRAY(SELECT endpoint_id FROM hooks.webhook_deliveries WHERE vendor_id = 'a0000000-0000-4000-8000-0000000000c1' ORDER BY endpoint_id),
          ARRAY(SELECT id FROM ids WHERE name IN ('a1', 'a2') ORDER BY id),
          'one delivery per enabled endpoint subscribed to job.failed (not the disabled one, not B''s)');
SELECT is((SELECT payload FROM hooks.webhook_deliveries WHERE endpoint_id = (SELECT id FROM ids WHERE name = 'a1')),
          jsonb_build_object('vendor_id', 'a0000000-0000-4000-8000-0000000000c1', 'event_id', (SELECT id FROM ids WHERE name = 'event'),
                             'event_type', 'job.failed', 'occurred_at', (SELECT body -> 'occurred_at' FROM ids WHERE name = 'event'),
                             'data', '{"job_id": "11111111-1111-4111-8111-111111111111"}'::jsonb),
          'the payload carries vendor_id, event_id, event_type, occurred_at and data');
SELECT set_config('odyssey.queue_scope', 'machinery', true);
SELECT is(ARRAY(SELECT (j.max_attempts, j.payload ->> 'delivery_id')::text FROM queue.jobs j
                 WHERE j.kind = 'webhook.deliver' AND j.vendor_id = 'a0000000-0000-4000-8000-0000000000c1' ORDER BY j.max_attempts),
          ARRAY(SELECT (e.retries_max + 1, d.id)::text FROM hooks.webhook_deliveries d
                  JOIN hooks.webhook_endpoints e ON e.id = d.endpoint_id WHERE d.vendor_id = 'a0000000-0000-4000-8000-0000000000c1' ORDER BY e.retries_max),
          'one queue job per delivery, with retries_max + 1 attempts');
SELECT set_config('odyssey.queue_scope', '', true);
INSERT INTO hooks.events (vendor_id, event_type, data) VALUES ('a0000000-0000-4000-8000-0000000000c1', 'product.updated', '{}');
SELECT is((SELECT count(*) FROM hooks.webhook_deliveries WHERE vendor_id = 'a0000000-0000-4000-8000-0000000000c1'), 2::bigint, 'an event type no enabled endpoint subscribed to gives no delivery');
UPDATE ids SET id = (SELECT d.id FROM hooks.webhook_deliveries d WHERE d.endpoint_id = ids.id) WHERE name IN ('a1', 'a2');

-- 4. Attempts, as the worker
SET LOCAL ROLE odyssey_worker;
INSERT INTO ids SELECT 'try1', NULL, hooks.delivery_begin((SELECT id FROM ids WHERE name = 'a1'));
SELECT is((SELECT body -> 'headers' ->> 'X-Idempotency-Key' FROM ids WHERE name = 'try1'),
          (SELECT id::text FROM ids WHERE name = 'event'), 'X-Idempotency-Key is the event id');
SELECT is((SELECT (body ->> 'body')::jsonb FROM ids WHERE name = 'try1'),
          (SELECT payload FROM hooks.webhook_deliveries WHERE id = (SELECT id FROM ids WHERE name = 'a1')), 'the body is the payload');
SELECT ok((SELECT abs(extract(epoch FROM now())::bigint - (body -> 'headers' ->> 'X-Timestamp')::bigint) <= 2 FROM ids WHERE name = 'try1'),
          'X-Timestamp is the attempt''s unix time');
SELECT is((SELECT body ->> 'url' FROM ids WHERE name = 'try1'), 'https://hooks.example.com/a1', 'the endpoint''s url');
SELECT is(hooks.delivery_result((SELECT id FROM ids WHERE name = 'a1'), 503, NULL), 'retry', 'a 503 is retried');
INSERT INTO ids SELECT 'try2', NULL, hooks.delivery_begin((SELECT id FROM ids WHERE name = 'a1'));
SELECT is((SELECT (body ->> 'attempt', body ->> 'body', body -> 'headers' ->> 'X-Idempotency-Key')::text FROM ids WHERE name = 'try2'),
          (SELECT ('2', body ->> 'body', body -> 'headers' ->> 'X-Idempotency-Key')::text FROM ids WHERE name = 'try1'),
          'the retry is attempt 2, with the same body and idempotency key');
SELECT is(hooks.delivery_result((SELECT id FROM ids WHERE name = 'a1'), 204, NULL), 'delivered', 'a 2xx delivers');
SELECT is(hooks.delivery_begin((SELECT id FROM ids WHERE name = 'a1')), NULL, 'a delivered delivery is not sent again');
SELECT is(hooks.delivery_result((SELECT id FROM ids WHERE name = 'a2'), NULL, 'connection refused'), 'retry',
          'no answer is a failed attempt');
RESET ROLE;
-- The signature, recomputed here from the secret shown at creation.
SELECT is((SELECT body -> 'headers' ->> 'X-Signature' FROM ids WHERE name = 'try2'),
          'v1=' || encode(hmac(convert_to((SELECT (body -> 'headers' ->> 'X-Timestamp') || E'\n' || (body ->> 'body') FROM ids WHERE name = 'try2'), 'UTF8'),
                               convert_to((SELECT body ->> 'secret' FROM ids WHERE name = 'a1'), 'UTF8'), 'sha256'), 'hex'),
          'X-Signature = v1=hex(HMAC_SHA256(secret, timestamp \n body))');
SELECT is((SELECT (status, attempt, response_status, last_error IS NULL, delivered_at IS NOT NULL)::text
             FROM hooks.webhook_deliveries WHERE id = (SELECT id FROM ids WHERE name = 'a1')),
          '(delivered,2,204,t,t)', 'the delivery records its outcome');
SELECT is((SELECT (status, last_error)::text FROM hooks.webhook_deliveries WHERE id = (SELECT id FROM ids WHERE name = 'a2')),
          '(failed,"connection refused")', 'a failed attempt keeps its error');

-- 5. Dead letters, disabled endpoints, rotation, deletion
INSERT INTO queue.dead_letters (id, kind, vendor_id, payload, priority, attempts, max_attempts, last_error, errors, created_at)
VALUES (-424242, 'webhook.deliver', 'a0000000-0000-4000-8000-0000000000c1',
        jsonb_build_object('delivery_id', (SELECT id FROM ids WHERE name = 'a2')), 0, 9, 9, 'HTTP 500', '[]', now());
SELECT is((SELECT status::text FROM hooks.webhook_deliveries WHERE id = (SELECT id FROM ids WHERE name = 'a2')), 'dead',
          'a dead-lettered delivery is dead');
SET LOCAL ROLE odyssey_vendor_admin;
SELECT lives_ok(format('SELECT api.webhook_update(%L, %L)', (SELECT e.id FROM hooks.webhook_endpoints e WHERE e.url = 'https://hooks.example.com/a1'),
                       '{"enabled": false}'), 'an endpoint is disabled');
RESET ROLE;
INSERT INTO hooks.webhook_deliveries (vendor_id, endpoint_id, event_id, event_type, payload)
SELECT vendor_id, id, gen_random_uuid(), 'job.completed', '{}' FROM hooks.webhook_endpoints WHERE url = 'https://hooks.example.com/a1';
SET LOCAL ROLE odyssey_worker;
SELECT is(hooks.delivery_begin((SELECT d.id FROM hooks.webhook_deliveries d WHERE d.status = 'pending' AND d.vendor_id = 'a0000000-0000-4000-8000-0000000000c1')), NULL,
          'a disabled endpoint''s pending delivery is not sent');
RESET ROLE;
SELECT is((SELECT count(*) FROM hooks.webhook_deliveries WHERE vendor_id = 'a0000000-0000-4000-8000-0000000000c1' AND status = 'dead' AND last_error = 'the endpoint is disabled'), 1::bigint,
          '... it ends dead');
SET LOCAL ROLE odyssey_vendor_admin;
INSERT INTO ids SELECT 'rotated', NULL, api.webhook_rotate_secret((SELECT e.id FROM hooks.webhook_endpoints e WHERE e.url = 'http://127.0.0.1:9/a2'));
SELECT isnt((SELECT body ->> 'secret' FROM ids WHERE name = 'rotated'), (SELECT body ->> 'secret' FROM ids WHERE name = 'a2'),
            'rotation gives a new secret');
SELECT is(api.webhook_delete((SELECT e.id FROM hooks.webhook_endpoints e WHERE e.url = 'https://hooks.example.com/a1')), '{"deleted": true}', 'an endpoint is deleted');
RESET ROLE;
SELECT is((SELECT count(*) FROM hooks.webhook_deliveries d WHERE NOT EXISTS (SELECT FROM hooks.webhook_endpoints e WHERE e.id = d.endpoint_id)),
          0::bigint, '... with its deliveries');
SELECT is(ARRAY(SELECT action FROM audit.audit_log WHERE vendor_id = 'a0000000-0000-4000-8000-0000000000c1'
                  AND entity = 'webhook_endpoint' ORDER BY id),
          ARRAY['webhook_create', 'webhook_create', 'webhook_create', 'webhook_update', 'webhook_update', 'webhook_secret_rotate', 'webhook_delete'],
          'creation, changes, rotation and deletion are audited (each once)');
SELECT is(ARRAY(SELECT action FROM audit.audit_log WHERE vendor_id = 'b0000000-0000-4000-8000-0000000000c2'
                  AND entity = 'webhook_endpoint' ORDER BY id),
          ARRAY['webhook_create', 'webhook_secret_rotate'], '... and so is a rotation by a direct call of the helper');

-- 6. Retention (hooks.purge, as the worker): old published events and old ended deliveries go.
INSERT INTO hooks.events (event_id, vendor_id, event_type, data, occurred_at) VALUES
    ('e0000000-0000-4000-8000-0000000000d1', 'a0000000-0000-4000-8000-0000000000c1', 'job.completed', '{}', now() - interval '8 days'),
    ('e0000000-0000-4000-8000-0000000000d2', 'a0000000-0000-4000-8000-0000000000c1', 'job.completed', '{}', now() - interval '6 days');
INSERT INTO hooks.webhook_deliveries (id, vendor_id, endpoint_id, event_id, event_type, payload, status, created_at)
SELECT ('d0000000-0000-4000-8000-00000000000' || n)::uuid, 'a0000000-0000-4000-8000-0000000000c1', e.id, gen_random_uuid(), 'job.completed', '{}',
       s::hooks.delivery_status, now() - (a || ' days')::interval
  FROM hooks.webhook_endpoints e,
       (VALUES (1, 'delivered', 31), (2, 'dead', 31), (3, 'failed', 31), (4, 'delivered', 29)) AS x(n, s, a)
 WHERE e.url = 'http://127.0.0.1:9/a2';
SET LOCAL ROLE odyssey_worker;
SELECT ok((SELECT events >= 1 AND deliveries >= 2 FROM hooks.purge()), 'the purge reports what it removed');
RESET ROLE;
SELECT is(ARRAY(SELECT event_id::text FROM hooks.events WHERE event_id::text LIKE 'e0000000-%' ORDER BY 1),
          ARRAY['e0000000-0000-4000-8000-0000000000d2'], 'a published event older than 7 days is purged, a younger one kept');
SELECT is(ARRAY(SELECT id::text FROM hooks.webhook_deliveries WHERE id::text LIKE 'd0000000-%' ORDER BY 1),
          ARRAY['d0000000-0000-4000-8000-000000000003', 'd0000000-0000-4000-8000-000000000004'],
          'ended deliveries older than 30 days are purged; a failed one (still retried) and a younger one are kept');
SET LOCAL ROLE odyssey_vendor_admin;
SELECT throws_ok($$ SELECT * FROM hooks.purge() $$, '42501', NULL, 'only the worker purges');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
