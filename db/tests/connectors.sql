-- Connectors (PRD §5.5, §6.3): the configuration API and its credential (write-only, readable by
-- no role, handed to the worker alone), a sync as an ingestion job (one at a time), its pages kept
-- raw and mapped into staging (key paths, nested objects, lists, a plan that grows), the stale-page
-- guard, answers that cannot be ingested, re-staging after staging was lost, the merge, the cursor
-- row and its watermark, failure, cancel, dead letters, deletion, tests, retention, tenants.
BEGIN;
SELECT plan(84);

INSERT INTO catalog.tax_categories (code, label) VALUES ('t-conn-snacks', 'Connector snacks');
DO $$
BEGIN
    PERFORM set_config('odyssey.vendor_id', 'a0000000-0000-4000-8000-0000000000d1', true);
    INSERT INTO core.vendors (id, name) VALUES ('a0000000-0000-4000-8000-0000000000d1', 'connector vendor A');
    PERFORM set_config('odyssey.vendor_id', 'b0000000-0000-4000-8000-0000000000d2', true);
    INSERT INTO core.vendors (id, name) VALUES ('b0000000-0000-4000-8000-0000000000d2', 'connector vendor B');
    PERFORM set_config('odyssey.vendor_id', '', true);
END
$$;
CREATE TEMP TABLE ids (name text PRIMARY KEY, id uuid, body jsonb);
GRANT ALL ON ids TO PUBLIC;

\ir fixtures/problem_fields.psql

-- 1. Configuration, as vendor A's admin
SELECT set_config('odyssey.vendor_id', 'a0000000-0000-4000-8000-0000000000d1', true),
       set_config('odyssey.user_id', 'tap-admin-a', true);
SET LOCAL ROLE odyssey_vendor_admin;

SELECT is(pg_temp.problem_fields($$ SELECT api.connector_put('shop', '{"mode": "products"}') $$), ARRAY['base_url'], 'base_url is required');
SELECT is(pg_temp.problem_fields($$ SELECT api.connector_put('Bad Name', '{"base_url": "https://api.example.com"}') $$), ARRAY['source'],
          'a source name is a lower-case slug');
SELECT is(pg_temp.problem_fields($$ SELECT api.connector_put('shop', '{"base_url": "http://api.example.com", "auth_type": "basic", "secret": "nocolon", "rate_limit_rpm": 0, "mode": "orders", "paging": {"page_size": 0, "cursor_param": "a b", "extra": 1}, "wat": 1}') $$),
          ARRAY['base_url', 'mode', 'paging.cursor_param', 'paging.extra', 'paging.page_size', 'rate_limit_rpm', 'secret', 'wat'],
          'every bad field is reported together (plain http to a public host, a basic secret without user:password, ...)');
SELECT is(pg_temp.problem_fields($$ SELECT api.connector_put('shop', '{"base_url": "https://api.example.com", "auth_type": "bearer"}') $$),
          ARRAY['secret'], 'auth_type bearer needs a credential');
SELECT is(pg_temp.problem_fields($$ SELECT api.connector_put('shop', '{"base_url": "https://api.example.com", "auth_type": "oauth2", "secret": "id:pw"}') $$),
          ARRAY['token_url'], 'oauth2 needs its token endpoint');
SELECT is(pg_temp.problem_fields($$ SELECT api.connector_put('shop', '{"base_url": "https://api.example.com", "auth_header": "X-Key"}') $$),
          ARRAY['auth_header'], 'auth_header only goes with api_key');

INSERT INTO ids SELECT 'shop', (b ->> 'id')::uuid, b
  FROM api.connector_put('shop', '{"base_url": "http://127.0.0.1:9/products", "auth_type": "bearer", "secret": "tok-A",
                                    "rate_limit_rpm": 120, "paging": {"items_path": "data.items", "next_cursor_path": "paging.next",
                                    "page_size": 2, "since_param": "updated_since"}}') b;
SELECT is((SELECT (body ->> 'has_secret', body ->> 'secrets_ref', body ? 'secret', body #>> '{paging,cursor_param}', body ->> 'mode')::text
             FROM ids WHERE name = 'shop'),
          format('(true,ingest.connector_secrets:%s,f,cursor,products)', (SELECT id FROM ids WHERE name = 'shop')),
          'the answer names where the credential is kept, never the credential; paging defaults are filled in');
SELECT ok(NOT api.connector_get('shop')::text LIKE '%tok-A%', 'a read never shows the credential');
SELECT throws_ok($$ SELECT * FROM ingest.connector_secrets $$, '42501', NULL, 'a vendor admin cannot read credentials');
SELECT throws_ok($$ SELECT ingest.connector_secret((SELECT id FROM ids WHERE name = 'shop')) $$, '42501', NULL,
                 'nor ask for one as the worker does');
SELECT is(pg_temp.problem_fields(format($$ SELECT api.connector_put('shop', '{"base_url": "https://api.example.com", "auth_type": "bearer", "secrets_ref": "ingest.connector_secrets:%s"}') $$,
                                        gen_random_uuid())),
          ARRAY['secrets_ref'], 'secrets_ref cannot be pointed at another credential');
SELECT is(api.connector_put('shop', api.connector_get('shop') - 'id') ->> 'has_secret', 'true',
          'a PUT of what GET answered keeps the stored credential');
SELECT is(api.connector_put('other', '{"base_url": "https://api.example.com/x", "auth_type": "api_key", "secret": "k1"}') ->> 'auth_header',
          'X-Api-Key', 'api_key sends the key in X-Api-Key unless told otherwise');
SELECT is(api.connector_put('other', '{"base_url": "https://api.example.com/x"}') ->> 'has_secret', 'false',
          'auth_type none drops the credential');
SELECT is(jsonb_array_length(api.connector_list(NULL, 1) -> 'items'), 1, 'the list pages');
SELECT is(api.connector_list(api.connector_list(NULL, 1) ->> 'next_cursor', 1) #>> '{items,0,source}', 'shop', 'by source name');
SELECT ok(EXISTS (SELECT FROM audit.audit_log WHERE action = 'connector_create' AND entity_id = 'shop'
                    AND NOT after::text LIKE '%tok-A%'), 'creation is audited, without the credential');
SELECT throws_ok($$ SELECT api.connector_get('nope') $$, 'OD404', 'connector not found', 'an unknown source is not found');
RESET ROLE;

SET LOCAL ROLE odyssey_vendor_operator;
SELECT throws_ok($$ SELECT api.connector_put('shop', '{"base_url": "https://evil.example.com"}') $$, '42501', NULL,
                 'an operator cannot configure connectors');
SELECT is(api.connector_get('shop') ->> 'source', 'shop', 'an operator reads them');
RESET ROLE;
SET LOCAL ROLE odyssey_vendor_viewer;
SELECT throws_ok($$ SELECT api.connector_get('shop') $$, '42501', NULL, 'a viewer does not (base URLs are internal)');
RESET ROLE;

-- 2. A sync is an ingestion job; one at a time
SET LOCAL ROLE odyssey_vendor_operator;
INSERT INTO ids SELECT 'job1', (b ->> 'id')::uuid, b FROM api.connector_sync('shop') b;
SELECT is((SELECT (body ->> 'mode', body ->> 'status', body ->> 'phase', body #>> '{params,source}', body #>> '{params,connector}',
                   body #>> '{params,since}')::text FROM ids WHERE name = 'job1'),
          '(products,queued,queued,api,shop,)', 'a queued job of the connector''s mode, without a watermark the first time');
SELECT throws_ok($$ SELECT api.connector_sync('shop') $$, 'OD409',
                 format('a sync of connector shop is already queued (job %s)', (SELECT id FROM ids WHERE name = 'job1')),
                 'a second sync while one is queued is a conflict naming the first');
RESET ROLE;
SELECT is((SELECT (kind, dedupe_key)::text FROM queue.jobs WHERE id = (SELECT (body ->> 'queue_job_id')::bigint FROM ids WHERE name = 'job1')),
          format('(ingest.api,%s)', (SELECT id FROM ids WHERE name = 'job1')), 'a worker job of kind ingest.api is queued');

-- 3. The worker's side
SET LOCAL ROLE odyssey_worker;
SELECT is(ingest.connector_secret((SELECT id FROM ids WHERE name = 'shop')), 'tok-A', 'the worker gets the credential for its call');
SELECT is((SELECT (b ->> 'phase', b #>> '{checkpoint,fetch,pages}', b #>> '{connector,paging,items_path}', b #>> '{connector,auth_type}')::text
             FROM ingest.sync_begin((SELECT id FROM ids WHERE name = 'job1')) b),
          '(copying,0,data.items,bearer)', 'sync_begin: running, fetching from page 1, with how to call the API');
SELECT is((SELECT status FROM ingest.connector_cursors WHERE source = 'shop' AND vendor_id = 'a0000000-0000-4000-8000-0000000000d1'), 'running', 'the cursor row says running');
SELECT throws_ok($$ SELECT ingest.sync_stage_page((SELECT id FROM ids WHERE name = 'job1'), 2, 'x', '{}') $$, 'OD409', NULL,
                 'a page that is not the next one is stale');
SELECT throws_ok($$ SELECT ingest.sync_stage_page((SELECT id FROM ids WHERE name = 'job1'), 1, NULL, '{"items": []}') $$, 'OD422',
                 'page 1 of the API answer has no list of items at "data.items"', 'a page without items where paging says');
SELECT throws_ok($$ SELECT ingest.sync_stage_page((SELECT id FROM ids WHERE name = 'job1'), 1, NULL, '{"data": {"items": [1, {"sku": "x"}]}}') $$,
                 'OD422', 'page 1 of the API answer has 1 item(s) that are not JSON objects', 'items must be objects');
SELECT throws_ok($$ SELECT ingest.sync_stage_page((SELECT id FROM ids WHERE name = 'job1'), 1, NULL, '{"data": {"items": [{"sku": "x", "title": "y"}]}}') $$,
                 'OD422', 'the API''s items lack required products field(s): category, price', 'items lacking required fields fail the sync');
SELECT is(ingest.sync_stage_page((SELECT id FROM ids WHERE name = 'job1'), 1, NULL,
            '{"data": {"items": [
                {"sku": "k-1", "title": "Oat bar", "category": "t-conn-snacks", "price": 2.5, "allergens": ["milk", "oats"],
                 "nutrition": {"energy_kcal": 120, "sodium_mg": 40}, "meta": {"name": "internal"}},
                {"sku": "k-2", "title": "Rye crisp", "category": "t-conn-snacks", "price": "3.10", "nutrition": {"energy_kcal": 250}}]},
              "paging": {"next": "c2"}, "total": 4}')::text,
          '{"done": false, "page": 1, "rows": 2, "items": 2, "next_cursor": "c2"}', 'page 1 staged; the next cursor read where paging says');
SELECT throws_ok($$ SELECT ingest.sync_stage_page((SELECT id FROM ids WHERE name = 'job1'), 2, 'c2', '{"data": {"items": []}, "paging": {"next": "c2"}}') $$,
                 'OD422', 'page 2 of the API answer gives the cursor it was asked with (c2) as the next one', 'a cursor that does not move is refused');
SELECT is(ingest.sync_stage_page((SELECT id FROM ids WHERE name = 'job1'), 2, 'c2',
            '{"data": {"items": [
                {"sku": "k-3", "title": "Seed mix", "category": "t-conn-snacks", "price": 4, "fiber_g": 6, "nutrition": {"energy_kcal": 90}},
                {"sku": "k-1", "title": "Oat bar again", "category": "t-conn-snacks", "price": 9}]},
              "paging": {"next": null}}') ->> 'done', 'true', 'the last page: no next cursor');
RESET ROLE;
SELECT is((SELECT jsonb_object_agg(c ->> 'header', coalesce(c ->> 'field', 'ignored')) FROM ingest.ingestion_jobs j,
                  jsonb_array_elements(j.checkpoint #> '{plan,columns}') c WHERE j.id = (SELECT id FROM ids WHERE name = 'job1')),
          '{"sku": "external_id", "meta": "ignored", "name": "ignored", "price": "price", "title": "name", "fiber_g": "fiber_g",
            "category": "category", "allergens": "allergens", "nutrition": "ignored", "sodium_mg": "sodium_mg",
            "energy_kcal": "energy_kcal"}'::jsonb,
          'keys map like CSV headers; a nested key by its own name; fiber_g, first seen on page 2, joins the plan; a nested "name" under a taken field stays out');
SELECT results_eq($$ SELECT row_no, external_id, name, price, allergens, energy_kcal, sodium_mg, fiber_g FROM ingest.stg_products
                     WHERE job_id = (SELECT id FROM ids WHERE name = 'job1') ORDER BY row_no $$,
                  $$ VALUES (1::bigint, 'k-1', 'Oat bar', '2.5', 'milk|oats', '120', '40', NULL::text),
                            (2, 'k-2', 'Rye crisp', '3.10', NULL, '250', NULL, NULL),
                            (3, 'k-3', 'Seed mix', '4', NULL, '90', NULL, '6'),
                            (4, 'k-1', 'Oat bar again', '9', NULL, NULL, NULL, NULL) $$,
                  'items staged in page order: lists as a|b, nested values, JSON numbers');
SELECT is((SELECT array_agg((page_no, request_cursor, source)::text ORDER BY page_no) FROM ingest.stg_vendor_raw
            WHERE job_id = (SELECT id FROM ids WHERE name = 'job1')),
          ARRAY['(1,,shop)', '(2,c2,shop)'], 'each page is kept raw with the cursor it was asked for');

-- 4. Staging lost (a database crash empties UNLOGGED tables): re-staged from the kept pages
DELETE FROM ingest.stg_products WHERE job_id = (SELECT id FROM ids WHERE name = 'job1') AND row_no > 1;
SET LOCAL ROLE odyssey_worker;
SELECT is(ingest.sync_begin((SELECT id FROM ids WHERE name = 'job1')) #>> '{checkpoint,copy}', '{"rows": 4, "restaged": true}',
          'a worker that takes over finds staging short and re-stages every kept page');
SELECT is((SELECT array_agg(external_id ORDER BY row_no) FROM ingest.stg_products WHERE job_id = (SELECT id FROM ids WHERE name = 'job1')),
          ARRAY['k-1', 'k-2', 'k-3', 'k-1'], 'the same rows, in the same order');

-- 5. Validate, merge, finalize: as a CSV job
SELECT is(ingest.job_validate((SELECT id FROM ids WHERE name = 'job1')) ->> 'duplicates', '1', 'the repeated sku is a duplicate (first wins)');
SELECT is(ingest.job_merge_next((SELECT id FROM ids WHERE name = 'job1'), 1000) #>> '{totals,inserted}', '3', 'three products merged');
SELECT lives_ok($$ SELECT ingest.job_analyze((SELECT id FROM ids WHERE name = 'job1')), ingest.job_finalize((SELECT id FROM ids WHERE name = 'job1')) $$,
                'analyzed and finalized');
RESET ROLE;
SELECT results_eq($$ SELECT external_id, name, price, allergens, nutrition ->> 'sodium_mg' FROM catalog.products
                     WHERE vendor_id = 'a0000000-0000-4000-8000-0000000000d1' ORDER BY external_id $$,
                  $$ VALUES ('k-1', 'Oat bar', 2.50::numeric(12,2), ARRAY['milk', 'oats'], '40'),
                            ('k-2', 'Rye crisp', 3.10, '{}'::text[], NULL), ('k-3', 'Seed mix', 4.00, '{}', NULL) $$,
                  'the API''s products are live');
SELECT is((SELECT (k.status, k.cursor = (j.checkpoint #>> '{fetch,started_at}'), k.synced_at = j.finished_at, k.job_id = j.id, k.last_error)::text
             FROM ingest.connector_cursors k, ingest.ingestion_jobs j WHERE k.source = 'shop' AND k.vendor_id = j.vendor_id AND j.id = (SELECT id FROM ids WHERE name = 'job1')),
          '(ok,t,t,t,)', 'the cursor row: ok, watermark = when the sync began fetching, synced_at = when it ended');
SELECT is((SELECT data ->> 'mode' FROM hooks.events WHERE event_type = 'job.completed' AND data ->> 'job_id' = (SELECT id::text FROM ids WHERE name = 'job1')),
          'products', 'job.completed is written, as for a file');
SELECT ok(EXISTS (SELECT FROM ingest.ingestion_job_errors WHERE job_id = (SELECT id FROM ids WHERE name = 'job1') AND code = 'duplicate_in_file'),
          'the duplicate is reported per row');

-- 6. The next sync is incremental; failure, cancel and dead letters
SET LOCAL ROLE odyssey_vendor_admin;
INSERT INTO ids SELECT 'job2', (b ->> 'id')::uuid, b FROM api.connector_sync('shop') b;
SELECT is((SELECT body #>> '{params,since}' FROM ids WHERE name = 'job2'), (SELECT cursor FROM ingest.connector_cursors WHERE source = 'shop' AND vendor_id = 'a0000000-0000-4000-8000-0000000000d1'),
          'with since_param set, the next sync carries the watermark');
RESET ROLE;
SET LOCAL ROLE odyssey_worker;
SELECT lives_ok($$ SELECT ingest.sync_begin((SELECT id FROM ids WHERE name = 'job2')),
                          ingest.job_fail((SELECT id FROM ids WHERE name = 'job2'), 'api_refused', 'the API answered HTTP 401') $$,
                'a sync fails');
RESET ROLE;
SELECT is((SELECT (status, last_error, cursor = (SELECT checkpoint #>> '{fetch,started_at}' FROM ingest.ingestion_jobs WHERE id = (SELECT id FROM ids WHERE name = 'job1')))::text
             FROM ingest.connector_cursors WHERE source = 'shop' AND vendor_id = 'a0000000-0000-4000-8000-0000000000d1'),
          '(error,"the API answered HTTP 401",t)', 'a failed sync: status error with its reason; the watermark stays');
SET LOCAL ROLE odyssey_vendor_operator;
INSERT INTO ids SELECT 'job3', (b ->> 'id')::uuid, b FROM api.connector_sync('shop') b;
SELECT is(api.cancel_job((SELECT id FROM ids WHERE name = 'job3')) ->> 'status', 'canceled', 'a sync can be canceled');
RESET ROLE;
SELECT is((SELECT status FROM ingest.connector_cursors WHERE source = 'shop' AND vendor_id = 'a0000000-0000-4000-8000-0000000000d1'), 'idle', 'canceled: idle');
SET LOCAL ROLE odyssey_vendor_operator;
INSERT INTO ids SELECT 'job4', (b ->> 'id')::uuid, b FROM api.connector_sync('shop') b;
RESET ROLE;
INSERT INTO queue.dead_letters (id, kind, vendor_id, payload, priority, attempts, max_attempts, last_error, errors, created_at)
VALUES (-434343, 'ingest.api', 'a0000000-0000-4000-8000-0000000000d1',
        jsonb_build_object('job_id', (SELECT id FROM ids WHERE name = 'job4')), 0, 5, 5, 'worker died', '[]', now());
SELECT is((SELECT (j.status, j.totals #>> '{error,code}', k.status)::text FROM ingest.ingestion_jobs j, ingest.connector_cursors k
            WHERE j.id = (SELECT id FROM ids WHERE name = 'job4') AND k.source = 'shop' AND k.vendor_id = j.vendor_id),
          '(failed,dead_lettered,error)', 'a sync the queue gave up on fails, and the cursor row says so');

-- 7. Tests of the connection
SET LOCAL ROLE odyssey_vendor_admin;
INSERT INTO ids SELECT 'test1', (b ->> 'id')::uuid, b FROM api.connector_test('shop') b;
SELECT is(api.connector_get('shop') #>> '{last_test,status}', 'queued', 'a test is queued and shows in last_test');
RESET ROLE;
SELECT is((SELECT kind FROM queue.jobs WHERE payload ->> 'test_id' = (SELECT id::text FROM ids WHERE name = 'test1')), 'connector.test',
          'a connector.test worker job carries it');
SET LOCAL ROLE odyssey_worker;
SELECT is(ingest.connector_test_begin((SELECT id FROM ids WHERE name = 'shop'), gen_random_uuid()), NULL, 'a replaced test is not run');
SELECT is(ingest.connector_test_begin((SELECT id FROM ids WHERE name = 'shop'), (SELECT id FROM ids WHERE name = 'test1')) ->> 'base_url',
          'http://127.0.0.1:9/products', 'the current one is, with how to call the API');
SELECT is((SELECT (r ->> 'ok', r ->> 'items', r ->> 'next_cursor', r ->> 'http_status', jsonb_array_length(r -> 'mapping'))::text
             FROM ingest.connector_test_result((SELECT id FROM ids WHERE name = 'shop'), (SELECT id FROM ids WHERE name = 'test1'),
                  '{"status": 200, "latency_ms": 12.5}',
                  '{"data": {"items": [{"sku": "z", "title": "Z", "category": "c", "price": 1}]}, "paging": {"next": "p2"}}') r),
          '(true,1,p2,200,4)', 'a good first page: ok, its items, next cursor and the mapping its keys would get');
RESET ROLE;
SELECT is(api.connector_get('shop') #>> '{last_test,ok}', 'true', 'the outcome is what GET shows');
SET LOCAL ROLE odyssey_vendor_admin;
INSERT INTO ids SELECT 'test2', (b ->> 'id')::uuid, b FROM api.connector_test('shop') b;
RESET ROLE;
SET LOCAL ROLE odyssey_worker;
SELECT is(ingest.connector_test_result((SELECT id FROM ids WHERE name = 'shop'), (SELECT id FROM ids WHERE name = 'test2'),
            '{"status": 200}', '{"data": {"items": [{"sku": "z"}]}}') ->> 'error',
          'the items lack required products field(s): name, category, price', 'a first page lacking required fields is not ok');
SELECT is(ingest.connector_test_result((SELECT id FROM ids WHERE name = 'shop'), (SELECT id FROM ids WHERE name = 'test2'),
            '{"status": 401, "error": "the API answered HTTP 401: no"}', NULL) ->> 'error',
          'the API answered HTTP 401: no', 'a refused call is reported as it was');
RESET ROLE;
SET LOCAL ROLE odyssey_vendor_admin;
INSERT INTO ids SELECT 'test3', (b ->> 'id')::uuid, b FROM api.connector_test('shop') b;
RESET ROLE;
INSERT INTO queue.dead_letters (id, kind, vendor_id, payload, priority, attempts, max_attempts, last_error, errors, created_at)
VALUES (-434344, 'connector.test', 'a0000000-0000-4000-8000-0000000000d1',
        jsonb_build_object('connector_id', (SELECT id FROM ids WHERE name = 'shop'), 'test_id', (SELECT id FROM ids WHERE name = 'test3')),
        10, 1, 1, 'lease expired', '[]', now());
SELECT is((SELECT (last_test ->> 'status', last_test ->> 'ok', last_test ->> 'error')::text FROM ingest.connectors
            WHERE id = (SELECT id FROM ids WHERE name = 'shop')),
          '(done,false,"the test did not finish: lease expired")', 'a test the queue gave up on ends as failed, not queued forever');

-- 8. Tenants
SELECT set_config('odyssey.vendor_id', 'b0000000-0000-4000-8000-0000000000d2', true), set_config('odyssey.user_id', 'tap-admin-b', true);
SET LOCAL ROLE odyssey_vendor_admin;
SELECT throws_ok($$ SELECT api.connector_get('shop') $$, 'OD404', 'connector not found', 'vendor B does not see A''s connector');
SELECT throws_ok($$ SELECT api.connector_sync('shop') $$, 'OD404', 'connector not found', 'nor sync it');
SELECT throws_ok($$ SELECT api.connector_delete('shop') $$, 'OD404', 'connector not found', 'nor delete it');
SELECT is(api.connector_put('shop', '{"base_url": "https://b.example.com/p", "auth_type": "bearer", "secret": "tok-B"}') ->> 'vendor_id',
          'b0000000-0000-4000-8000-0000000000d2', 'B''s own "shop" is another connector');
RESET ROLE;
SET LOCAL ROLE odyssey_worker;
SELECT is(ingest.connector_secret((SELECT id FROM ids WHERE name = 'shop')), NULL, 'in B''s scope the worker gets no A credential');
RESET ROLE;

-- 9. Retention and deletion
SELECT set_config('odyssey.vendor_id', 'a0000000-0000-4000-8000-0000000000d1', true), set_config('odyssey.user_id', 'tap-admin-a', true);
UPDATE ingest.stg_vendor_raw SET fetched_at = now() - interval '31 days' WHERE page_no = 1 AND job_id = (SELECT id FROM ids WHERE name = 'job1');
SELECT set_config('odyssey.vendor_id', '', true);
SET LOCAL ROLE odyssey_worker;
SELECT cmp_ok(ingest.purge_raw_pages(), '>=', 1::bigint, 'a worker (no vendor set) purges raw pages older than 30 days');
SELECT set_config('odyssey.queue_scope', 'machinery', true);
SELECT is((SELECT count(*) FROM ingest.stg_vendor_raw), 0::bigint, 'the machinery scope opens raw pages to the owner only, not to the worker');
SELECT set_config('odyssey.queue_scope', '', true);
RESET ROLE;
SELECT set_config('odyssey.vendor_id', 'a0000000-0000-4000-8000-0000000000d1', true);
SELECT is((SELECT array_agg(page_no) FROM ingest.stg_vendor_raw WHERE job_id = (SELECT id FROM ids WHERE name = 'job1')), ARRAY[2],
          'younger ones stay');
SET LOCAL ROLE odyssey_vendor_operator;
INSERT INTO ids SELECT 'job5', (b ->> 'id')::uuid, b FROM api.connector_sync('shop') b;
RESET ROLE;
SET LOCAL ROLE odyssey_vendor_admin;
SELECT is(api.connector_delete('shop') ->> 'canceled_job_id', (SELECT id::text FROM ids WHERE name = 'job5'),
          'deleting a connector cancels its queued sync');
RESET ROLE;
SELECT is((SELECT (count(*) FILTER (WHERE t = 'c'), count(*) FILTER (WHERE t = 's'), count(*) FILTER (WHERE t = 'k'))::text FROM (
             SELECT 'c' AS t FROM ingest.connectors WHERE id = (SELECT id FROM ids WHERE name = 'shop')
             UNION ALL SELECT 's' FROM ingest.connector_secrets WHERE connector_id = (SELECT id FROM ids WHERE name = 'shop')
             UNION ALL SELECT 'k' FROM ingest.connector_cursors WHERE vendor_id = 'a0000000-0000-4000-8000-0000000000d1' AND source = 'shop') x),
          '(0,0,0)', 'with its credential and cursor row');
SELECT ok(EXISTS (SELECT FROM audit.audit_log WHERE action = 'connector_delete' AND entity_id = 'shop'
                    AND vendor_id = 'a0000000-0000-4000-8000-0000000000d1'), 'deletion is audited');
SELECT is(ingest.json_cell('[1, "a", null, true]'), '1|a|true', 'json_cell: a list without its nulls');

-- 10. A customers connector: an object that maps to a field stays one JSON cell
SET LOCAL ROLE odyssey_vendor_admin;
SELECT lives_ok($$ SELECT api.connector_put('crm', '{"base_url": "https://crm.example.com/members", "mode": "customers"}') $$,
                'a customers connector');
RESET ROLE;
SET LOCAL ROLE odyssey_vendor_operator;
INSERT INTO ids SELECT 'job6', (b ->> 'id')::uuid, b FROM api.connector_sync('crm') b;
RESET ROLE;
SET LOCAL ROLE odyssey_worker;
SELECT is(ingest.sync_begin((SELECT id FROM ids WHERE name = 'job6')) ->> 'mode', 'customers', 'the sync job has the connector''s mode');
SELECT lives_ok($$ SELECT ingest.sync_stage_page((SELECT id FROM ids WHERE name = 'job6'), 1, NULL,
                   '{"items": [{"id": 7, "name": "Ann Lee", "email": "ann@example.com", "age": 40, "conditions": ["diabetes", "hypertension"],
                                "macro_targets": {"protein_g": 120, "carbs_g": 200}, "body": {"height_cm": 170.5, "weight_kg": 70}}]}') $$,
                'a page of members is staged');
RESET ROLE;
SELECT results_eq($$ SELECT external_id, full_name, age, conditions, macro_targets::jsonb, height_cm, weight_kg FROM ingest.stg_customers
                     WHERE job_id = (SELECT id FROM ids WHERE name = 'job6') $$,
                  $$ VALUES ('7', 'Ann Lee', '40', 'diabetes|hypertension', '{"carbs_g": 200, "protein_g": 120}'::jsonb, '170.5', '70') $$,
                  'macro_targets (a field) stays whole; the keys of "body" (no field) count by their own names');
SELECT is((SELECT checkpoint -> 'format' FROM ingest.ingestion_jobs WHERE id = (SELECT id FROM ids WHERE name = 'job6')),
          '{"decimal": ".", "decimal_from": "json"}', 'without a vendor mapping a sync reads numbers with a decimal point');

-- 11. The vendor's decimal separator (its mapping's options.decimal) for numbers sent as strings
SET LOCAL ROLE odyssey_vendor_admin;
SELECT lives_ok($$ SELECT api.mapping_put('customers', '{"map": {}, "options": {"decimal": ","}}') $$, 'the vendor writes decimal commas');
SELECT lives_ok($$ SELECT api.connector_put('crm2', '{"base_url": "https://crm.example.com/v2/members", "mode": "customers"}') $$,
                'a second customers connector');
RESET ROLE;
SET LOCAL ROLE odyssey_vendor_operator;
INSERT INTO ids SELECT 'job7', (b ->> 'id')::uuid, b FROM api.connector_sync('crm2') b;
RESET ROLE;
SET LOCAL ROLE odyssey_worker;
SELECT is(ingest.sync_begin((SELECT id FROM ids WHERE name = 'job7')) #> '{checkpoint,format}',
          '{"decimal": ",", "decimal_from": "vendor_mapping"}', 'the sync takes the decimal separator of the vendor''s mapping');
SELECT lives_ok($$ SELECT ingest.sync_stage_page((SELECT id FROM ids WHERE name = 'job7'), 1, NULL,
                   '{"items": [{"id": 8, "name": "Bo Ek", "email": "bo@example.com", "height_cm": 180.5, "weight_kg": "72,5", "age": "1.234"}]}') $$,
                'a page with a JSON number and numbers as strings');
RESET ROLE;
SELECT results_eq($$ SELECT height_cm, weight_kg, age FROM ingest.stg_customers WHERE job_id = (SELECT id FROM ids WHERE name = 'job7') $$,
                  $$ VALUES ('180.5', '72.5', '1234') $$,
                  'a JSON number stays exact, "72,5" is 72.5 and "1.234" is 1234 (decimal comma)');
SELECT is(ingest.json_cell('[1.5, "2,5"]', ','), '1,5|2,5', 'json_cell: numbers in a list take the separator too');

SELECT * FROM finish();
ROLLBACK;
